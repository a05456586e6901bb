package dev.vct.worker.engine;

import dev.vct.engine.scoring.Scores;
import dev.vct.engine.vct.VctImages;
import dev.vct.inputs.image.RgbImage;
import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.job.Stage;
import dev.vct.worker.stage.StageContext;
import dev.vct.worker.stage.StageException;
import dev.vct.worker.stage.StageExecutor;
import dev.vct.worker.stage.StageResult;
import io.quarkus.arc.properties.IfBuildProperty;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;

/**
 * Scores a translation: LPIPS between the source and the result (how much content was kept) and
 * BRISQUE of the result (quality), reported as the metrics {@code lpips} and {@code brisque}.
 *
 * <p>LPIPS compares pixel by pixel, so the source is scored as the translation saw it: {@link
 * VctImages#preparedSource}, the same centre square and bicubic resize content inversion applies,
 * at the working resolution, which is the result's side.
 */
@ApplicationScoped
@IfBuildProperty(
    name = EngineExecutors.BUILD_PROPERTY,
    stringValue = EngineExecutors.ENGINE,
    enableIfMissing = true)
public class ScoringExecutor implements StageExecutor {
  @Inject EngineModels models;

  @Override
  public Stage stage() {
    return Stage.SCORING;
  }

  @Override
  public void warmUp() {
    models.scorer();
  }

  @Override
  public StageResult run(StageRequest request, StageContext context) {
    context.cancellation().throwIfStopRequested();
    RgbImage result = Blobs.readImage(context.blobs(), request.input(BlobRole.RESULT_IMAGE));
    RgbImage source = Blobs.readImage(context.blobs(), request.input(BlobRole.SOURCE_IMAGE));
    if (result.width() != result.height()) {
      throw StageException.badInput(
          "the result to score is "
              + result.width()
              + "x"
              + result.height()
              + " pixels; a translation is square (the working resolution on each side)");
    }
    RgbImage seen = VctImages.preparedSource(source, result.width());
    Scores scores = models.scorer().score(seen, result);
    context.stepCompleted(1, 1);
    return new StageResult(Map.of(), Map.of("lpips", scores.lpips(), "brisque", scores.brisque()));
  }
}
