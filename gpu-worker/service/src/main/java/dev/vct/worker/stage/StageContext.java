package dev.vct.worker.stage;

import dev.vct.storage.blob.BlobStore;
import java.util.Optional;
import java.util.function.Supplier;

/** What the worker gives a running stage. */
public interface StageContext {

  /** Where inputs are read and outputs, embeddings and checkpoints are written. */
  BlobStore blobs();

  /**
   * The checkpoint to resume from: the furthest one saved by any earlier run of this stage run, or
   * empty when the stage starts from the beginning.
   */
  Optional<Checkpoint> resumeFrom();

  /** The state saved in {@code checkpoint}, as given to {@link #stepCompleted}. */
  byte[] loadCheckpoint(Checkpoint checkpoint);

  /**
   * Marks the end of one step: reports progress ({@code step} of {@code totalSteps} done), saves
   * {@code state.get()} as a checkpoint when one is due (every N steps or S seconds) or when the
   * stage must stop and resume elsewhere, then throws {@link StageStoppedException} if the stage
   * must stop. {@code state} is only called when a checkpoint is written.
   */
  default void stepCompleted(int step, int totalSteps, Supplier<byte[]> state) {
    stepCompleted(step, totalSteps, null, state);
  }

  /** As {@link #stepCompleted(int, int, Supplier)}, with the step's loss in the progress report. */
  void stepCompleted(int step, int totalSteps, Double loss, Supplier<byte[]> state);

  /** For stages without steps worth checkpointing: reports progress and honours stop requests. */
  default void stepCompleted(int step, int totalSteps) {
    stepCompleted(step, totalSteps, null, null);
  }

  /** Read by stages that must poll for stops outside {@link #stepCompleted}. */
  CancellationToken cancellation();

  /**
   * Asked by engine stages before every UNet pass, so that a stop (cancel, superseded attempt,
   * drain, reassignment) takes effect within one pass, also inside a step.
   */
  default boolean isStopRequested() {
    return cancellation().isStopRequested();
  }

  /**
   * The stage stopped for a stop request inside step {@code completedSteps + 1} and abandoned that
   * step (its state is that of step {@code completedSteps}; a resumed run redoes the step): saves
   * {@code state.get()} as the checkpoint of step {@code completedSteps} when the stop wants one
   * and none holds that step yet. Returns the exception for the stage to throw.
   *
   * @throws IllegalStateException when no stop was requested
   */
  StageStoppedException stoppedInsideStep(int completedSteps, Supplier<byte[]> state);
}
