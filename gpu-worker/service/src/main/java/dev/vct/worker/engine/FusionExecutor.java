package dev.vct.worker.engine;

import dev.vct.engine.vct.ConceptEmbedding;
import dev.vct.engine.vct.ContentEmbedding;
import dev.vct.engine.vct.Fusion;
import dev.vct.engine.vct.FusionParams;
import dev.vct.engine.vct.FusionResult;
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
 * Fusion of the content and concept embeddings (dual-stream denoising with attention injection),
 * resumable from the worker's checkpoints; decodes the translation and writes it as a PNG.
 */
@ApplicationScoped
@IfBuildProperty(
    name = EngineExecutors.BUILD_PROPERTY,
    stringValue = EngineExecutors.ENGINE,
    enableIfMissing = true)
public class FusionExecutor extends VctStageExecutor {
  @Override
  public Stage stage() {
    return Stage.FUSION;
  }

  @Override
  StageResult run(
      StageRequest request, VctParameters parameters, VctModels vct, StageContext context) {
    FusionParams params = parameters.fusion();
    ContentEmbedding content =
        Blobs.readSafetensors(
            context.blobs(), request.input(BlobRole.CONTENT_EMBEDDING), ContentEmbedding::load);
    ConceptEmbedding concept =
        Blobs.readSafetensors(
            context.blobs(), request.input(BlobRole.CONCEPT_EMBEDDING), ConceptEmbedding::load);
    FusionResult fused =
        ResumableStages.run(
            context,
            () -> Fusion.start(vct, params, content, concept),
            checkpoint -> Fusion.resume(vct, params, content, concept, checkpoint));
    String key = request.output(BlobRole.RESULT_IMAGE);
    Blobs.write(
        context.blobs(), key, VctImages.png(VctImages.translation(vct, fused)), "image/png");
    return new StageResult(Map.of(BlobRole.RESULT_IMAGE, key), Map.of());
  }
}
