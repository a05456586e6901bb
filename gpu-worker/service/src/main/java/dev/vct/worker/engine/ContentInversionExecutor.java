package dev.vct.worker.engine;

import dev.vct.engine.vct.ContentEmbedding;
import dev.vct.engine.vct.ContentInversion;
import dev.vct.engine.vct.ContentInversionParams;
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
 * Content inversion of the source image (DDIM inversion, then one content embedding per timestep),
 * resumable from the worker's checkpoints. Writes the {@link ContentEmbedding} as safetensors and
 * reports the embeddings' shape (steps, 77, hidden) as {@code shape_0..2}.
 */
@ApplicationScoped
@IfBuildProperty(
    name = EngineExecutors.BUILD_PROPERTY,
    stringValue = EngineExecutors.ENGINE,
    enableIfMissing = true)
public class ContentInversionExecutor extends VctStageExecutor {
  @Override
  public Stage stage() {
    return Stage.CONTENT_INVERSION;
  }

  @Override
  StageResult run(
      StageRequest request, VctParameters parameters, VctModels vct, StageContext context) {
    ContentInversionParams params = parameters.content();
    float[] source =
        VctImages.source(
            Blobs.readImage(context.blobs(), request.input(BlobRole.SOURCE_IMAGE)),
            parameters.resolution());
    ContentEmbedding content =
        ResumableStages.run(
            context,
            () -> ContentInversion.start(vct, params, source),
            checkpoint -> ContentInversion.resume(vct, params, source, checkpoint));
    String key = request.output(BlobRole.CONTENT_EMBEDDING);
    Blobs.writeSafetensors(context.blobs(), key, content::save);
    return new StageResult(
        Map.of(BlobRole.CONTENT_EMBEDDING, key),
        StageResult.shapeMetrics(content.steps(), content.seq(), content.hidden()));
  }
}
