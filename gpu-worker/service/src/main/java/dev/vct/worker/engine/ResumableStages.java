package dev.vct.worker.engine;

import dev.vct.engine.vct.Cancellation;
import dev.vct.engine.vct.ProgressListener;
import dev.vct.engine.vct.ResumableStage;
import dev.vct.engine.vct.StageCheckpoint;
import dev.vct.worker.stage.StageContext;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/** Runs an engine stage one step at a time through the worker's {@link StageContext}. */
final class ResumableStages {
  private ResumableStages() {}

  /**
   * Starts the stage, or resumes it from the context's checkpoint, then runs it step by step: after
   * each step the context reports progress (with the step's loss), saves the stage's whole state
   * when a checkpoint is due and stops the stage when it was cancelled or must give its work back.
   * The stage also asks the context before every UNet pass, so a stop lands within one pass: the
   * stage then abandons the step in progress (a content-inversion timestep of up to {@code
   * content_inner_steps} passes, say), the context checkpoints the last completed step if the stop
   * wants a checkpoint, and the resumed run redoes the abandoned step, bit-identically.
   */
  static <R> R run(
      StageContext context,
      Supplier<? extends ResumableStage<R>> start,
      Function<StageCheckpoint, ? extends ResumableStage<R>> resume) {
    context.cancellation().throwIfStopRequested();
    Optional<StageCheckpoint> saved =
        context.resumeFrom().map(c -> StageCheckpoint.fromBytes(context.loadCheckpoint(c)));
    ResumableStage<R> stage = saved.isPresent() ? resume.apply(saved.get()) : start.get();
    LastLoss loss = new LastLoss();
    Cancellation stop = context::isStopRequested;
    while (!stage.isDone()) {
      int before = stage.completedSteps();
      stage.runUntil(before + 1, loss, stop);
      if (stage.completedSteps() == before) {
        throw context.stoppedInsideStep(before, () -> stage.checkpoint().toBytes());
      }
      context.stepCompleted(
          stage.completedSteps(),
          stage.totalSteps(),
          loss.value(),
          () -> stage.checkpoint().toBytes());
    }
    return stage.result();
  }

  /** The loss of the last step, or null for a step without one (DDIM inversion steps). */
  private static final class LastLoss implements ProgressListener {
    private double loss = Double.NaN;

    @Override
    public void stepCompleted(int step, int totalSteps, double loss) {
      this.loss = loss;
    }

    Double value() {
      return Double.isFinite(loss) ? loss : null;
    }
  }
}
