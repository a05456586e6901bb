package dev.vct.orchestrator.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vct.storage.blob.BlobKeys;
import dev.vct.storage.blob.Sha256;
import dev.vct.storage.embedding.Embedding;
import dev.vct.storage.embedding.EmbeddingKind;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.Stage;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where an inversion's embedding is catalogued and stored. The parameter hash covers only the job
 * parameters the inversion reads ({@link Stage#mayDependOn}; a knob the table does not know
 * counts), as canonical JSON with sorted keys, behind a versioned prefix naming the stage: a job
 * that changes only fusion's knobs, or the other inversion's, reuses this inversion's embedding.
 * The seed column is not hashed: the parameters hold the seed only when the client chose it (see
 * {@code dev.vct.inputs.Knob#SEED}), and reusing one reference across many sources is the point of
 * the cache.
 */
public record InversionKeys(
    EmbeddingKind kind, String inputSha256, String modelId, String paramHash) {
  static final String HASH_VERSION = "vct-inversion-params/2";

  /**
   * Content inversion's version: since 3 its latent update follows {@code guidance_scale} (before,
   * it used 7.5 whatever the knob said), so a row hashed earlier names an embedding of another path
   * when the guidance was not 7.5, and is never hit again.
   */
  static final String CONTENT_HASH_VERSION = "vct-inversion-params/3";

  /** The keys of {@code stage}'s embedding for {@code job}; {@code stage} must be an inversion. */
  public static InversionKeys of(Job job, Stage stage) {
    return switch (stage) {
      case CONTENT_INVERSION ->
          new InversionKeys(
              EmbeddingKind.CONTENT,
              job.sourceSha256,
              job.modelId,
              paramHash(stage, job.parameters));
      case CONCEPT_INVERSION ->
          new InversionKeys(
              EmbeddingKind.CONCEPT,
              job.referenceSha256,
              job.modelId,
              paramHash(stage, job.parameters));
      case FUSION, SCORING ->
          throw new IllegalArgumentException(stage.code() + " produces no cached embedding");
    };
  }

  public static boolean cacheable(Stage stage) {
    return stage == Stage.CONTENT_INVERSION || stage == Stage.CONCEPT_INVERSION;
  }

  /** The embeddings cache's key of the inversion. */
  public Embedding.Key catalogueKey() {
    return new Embedding.Key(kind, inputSha256, modelId, paramHash);
  }

  /** The content-addressed blob key the inversion writes its embedding to. */
  public String blobKey() {
    return BlobKeys.embedding(kind, BlobKeys.embeddingHash(inputSha256, modelId, paramHash));
  }

  /**
   * The hash of the parameters {@code stage} reads. The version prefix keeps these hashes apart
   * from the catalogue's earlier rows, whose hash covered every parameter: a row keyed that way is
   * never hit again, rather than hit with a meaning it did not have.
   */
  static String paramHash(Stage stage, Map<String, Object> parameters) {
    Map<String, Object> read = new TreeMap<>();
    parameters.forEach(
        (name, value) -> {
          if (stage.mayDependOn(name)) {
            read.put(name, value);
          }
        });
    try {
      return Sha256.hex(
          (stage == Stage.CONTENT_INVERSION ? CONTENT_HASH_VERSION : HASH_VERSION)
              + "\n"
              + stage.code()
              + "\n"
              + EventJson.mapper()
                  .writer()
                  .with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                  .writeValueAsString(read));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("job parameters are not serializable as JSON", e);
    }
  }
}
