package dev.vct.orchestrator.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vct.storage.blob.BlobKeys;
import dev.vct.storage.blob.Sha256;
import dev.vct.storage.embedding.EmbeddingKind;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.Stage;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where an inversion's embedding is catalogued and stored. The parameter hash covers every
 * translation parameter of the job (canonical JSON, keys sorted): conservative, since a parameter
 * that does not change an inversion still separates cache entries, but never wrong. The seed is
 * left out on purpose: an embedding learned from the same reference with another seed serves
 * equally well, and reusing one reference across many sources is the point of the cache.
 */
public record InversionKeys(
    EmbeddingKind kind, String inputSha256, String modelId, String paramHash) {

  /** The keys of {@code stage}'s embedding for {@code job}; {@code stage} must be an inversion. */
  public static InversionKeys of(Job job, Stage stage) {
    return switch (stage) {
      case CONTENT_INVERSION ->
          new InversionKeys(
              EmbeddingKind.CONTENT, job.sourceSha256, job.modelId, paramHash(job.parameters));
      case CONCEPT_INVERSION ->
          new InversionKeys(
              EmbeddingKind.CONCEPT, job.referenceSha256, job.modelId, paramHash(job.parameters));
      case FUSION, SCORING ->
          throw new IllegalArgumentException(stage.code() + " produces no cached embedding");
    };
  }

  public static boolean cacheable(Stage stage) {
    return stage == Stage.CONTENT_INVERSION || stage == Stage.CONCEPT_INVERSION;
  }

  /** The content-addressed blob key the inversion writes its embedding to. */
  public String blobKey() {
    return BlobKeys.embedding(kind, BlobKeys.embeddingHash(inputSha256, modelId, paramHash));
  }

  static String paramHash(Map<String, Object> parameters) {
    try {
      return Sha256.hex(
          EventJson.mapper()
              .writer()
              .with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
              .writeValueAsString(new TreeMap<>(parameters)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("job parameters are not serializable as JSON", e);
    }
  }
}
