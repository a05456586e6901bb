package dev.vct.engine.vct;

import java.nio.file.Path;

/**
 * A stage of the translation as a resumable computation: it advances step by step, reports each
 * step, stops within one UNet pass when cancelled (abandoning the step in progress), and saves its
 * whole state after its last completed step to one checkpoint from which {@code resume} continues
 * bit-identically (on the same device and thread settings).
 *
 * @param <R> what the finished stage produces
 */
public interface ResumableStage<R> {

  /** The stage's name, as in its checkpoints ({@code concept-inversion}, ...). */
  String name();

  /** Steps of the whole stage. */
  int totalSteps();

  /** Steps completed so far (0..totalSteps). */
  int completedSteps();

  default boolean isDone() {
    return completedSteps() == totalSteps();
  }

  /**
   * Runs steps until {@code stepLimit} steps are complete (clamped to {@link #totalSteps()}) or
   * {@code cancellation} says stop. The cancellation is asked before every UNet pass, and only
   * there (so exactly once per pass attempted); a stop inside a step abandons that step, leaving
   * the state of the last completed one. Returns the number of completed steps.
   */
  int runUntil(int stepLimit, ProgressListener listener, Cancellation cancellation);

  /** Runs to the end unless cancelled; returns the number of completed steps. */
  default int run(ProgressListener listener, Cancellation cancellation) {
    return runUntil(totalSteps(), listener, cancellation);
  }

  /** The whole state after {@link #completedSteps()} steps. */
  StageCheckpoint checkpoint();

  /** Writes {@link #checkpoint()} to {@code file}. */
  default void saveCheckpoint(Path file) {
    checkpoint().write(file);
  }

  /** What the finished stage produced; fails while steps remain. */
  R result();
}
