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
import java.util.Map;

/**
 * Concept inversion of the reference image (K concept token embeddings, seeded by the job's seed),
 * resumable from the worker's checkpoints. Writes the {@link ConceptEmbedding} as safetensors and
 * reports its shape (K, hidden) as {@code shape_0..1}.
 */
@ApplicationScoped
@IfBuildProperty(
    name = EngineExecutors.BUILD_PROPERTY,
    stringValue = EngineExecutors.ENGINE,
    enableIfMissing = true)
public class ConceptInversionExecutor extends VctStageExecutor {
  @Override
  public Stage stage() {
    return Stage.CONCEPT_INVERSION;
  }

  @Override
  StageResult run(
      StageRequest request, VctParameters parameters, VctModels vct, StageContext context) {
    ConceptInversionParams params = parameters.concept(request.seed());
    float[] reference =
        VctImages.reference(
            Blobs.readImage(context.blobs(), request.input(BlobRole.REFERENCE_IMAGE)),
            parameters.resolution());
    ConceptEmbedding concept =
        ResumableStages.run(
            context,
            () -> ConceptInversion.start(vct, params, reference),
            checkpoint -> ConceptInversion.resume(vct, params, reference, checkpoint));
    String key = request.output(BlobRole.CONCEPT_EMBEDDING);
    Blobs.writeSafetensors(context.blobs(), key, concept::save);
    return new StageResult(
        Map.of(BlobRole.CONCEPT_EMBEDDING, key),
        StageResult.shapeMetrics(concept.tokens(), concept.hidden()));
  }
}
