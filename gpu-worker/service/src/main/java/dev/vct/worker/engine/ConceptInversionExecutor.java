package dev.vct.worker.engine;

import dev.vct.engine.vct.ConceptEmbedding;
import dev.vct.engine.vct.ConceptInversion;
import dev.vct.engine.vct.ConceptInversionParams;
import dev.vct.engine.vct.VctImages;
import dev.vct.engine.vct.VctModels;
import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.job.Stage;
import dev.vct.worker.stage.StageContext;
import dev.vct.worker.stage.StageResult;
import io.quarkus.arc.properties.IfBuildProperty;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;

/**
 * Concept inversion of the reference image (K concept token embeddings, seeded by the job's seed),
 * resumable from the worker's checkpoints, its micro-steps batched up to {@link
 * ConceptConfig#batch()} per UNet pass. Writes the {@link ConceptEmbedding} as safetensors and
 * reports its shape (K, hidden) as {@code shape_0..1}.
 */
@ApplicationScoped
@IfBuildProperty(
    name = EngineExecutors.BUILD_PROPERTY,
    stringValue = EngineExecutors.ENGINE,
    enableIfMissing = true)
public class ConceptInversionExecutor extends VctStageExecutor {
  @Inject ConceptConfig config;

  @Override
  public Stage stage() {
    return Stage.CONCEPT_INVERSION;
  }

  @Override
  public void warmUp() {
    conceptBatch(ConceptInversionParams.defaults());
    super.warmUp();
  }

  /**
   * The configured batch, or the default for the job's resolution ({@link
   * ConceptInversionParams#defaultBatch()}); refuses a batch below 1.
   */
  int conceptBatch(ConceptInversionParams params) {
    int batch = config.batch().orElse(params.defaultBatch());
    if (batch < 1) {
      throw new IllegalStateException(
          "VCT_CONCEPT_BATCH (vct.concept.batch) must be a number of micro-steps >= 1, got "
              + batch
              + "; unset it for the default by the job's resolution (the whole step in one UNet"
              + " pass up to 256 px)");
    }
    return batch;
  }

  @Override
  StageResult run(
      StageRequest request, VctParameters parameters, VctModels vct, StageContext context) {
    ConceptInversionParams params = parameters.concept(request.seed());
    int batch = conceptBatch(params);
    float[] reference =
        VctImages.reference(
            Blobs.readImage(context.blobs(), request.input(BlobRole.REFERENCE_IMAGE)),
            parameters.resolution());
    ConceptEmbedding concept =
        ResumableStages.run(
            context,
            () -> ConceptInversion.start(vct, params, reference).batchSize(batch),
            checkpoint ->
                ConceptInversion.resume(vct, params, reference, checkpoint).batchSize(batch));
    String key = request.output(BlobRole.CONCEPT_EMBEDDING);
    Blobs.writeSafetensors(context.blobs(), key, concept::save);
    return new StageResult(
        Map.of(BlobRole.CONCEPT_EMBEDDING, key),
        StageResult.shapeMetrics(concept.tokens(), concept.hidden()));
  }
}
