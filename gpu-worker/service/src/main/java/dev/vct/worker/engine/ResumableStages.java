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
    while (!stage.isDone()) {
      stage.runUntil(stage.completedSteps() + 1, loss, Cancellation.NEVER);
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
