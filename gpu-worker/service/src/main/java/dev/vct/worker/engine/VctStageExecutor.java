package dev.vct.worker.engine;

import dev.vct.engine.vct.VctModels;
import dev.vct.storage.event.StageRequest;
import dev.vct.worker.stage.StageContext;
import dev.vct.worker.stage.StageExecutor;
import dev.vct.worker.stage.StageResult;
import jakarta.inject.Inject;

/**
 * A VCT stage on the resident diffusion model: loads the model at warm-up, refuses a request for
 * another model, reads the job's knobs, then runs the stage (one step at a time through {@link
 * ResumableStages}).
 */
abstract class VctStageExecutor implements StageExecutor {
  @Inject EngineModels models;

  @Override
  public void warmUp() {
    models.vct();
  }

  @Override
  public StageResult run(StageRequest request, StageContext context) {
    models.requireModel(request);
    return run(request, VctParameters.of(request), models.vct(), context);
  }

  /** Runs the stage for {@code request}, whose model is {@code vct}. */
  abstract StageResult run(
      StageRequest request, VctParameters parameters, VctModels vct, StageContext context);
}
