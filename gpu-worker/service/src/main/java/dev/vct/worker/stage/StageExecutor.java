package dev.vct.worker.stage;

import dev.vct.storage.event.StageRequest;
import dev.vct.storage.job.Stage;

/**
 * Runs one stage of a translation on this worker. One bean per {@link Stage}; the worker service
 * calls {@link #run} on a dedicated thread, one request at a time per partition.
 *
 * <p>A long stage calls {@link StageContext#stepCompleted} after every step: that reports progress,
 * saves a checkpoint when one is due, and throws {@link StageStoppedException} when the stage must
 * stop (the job was cancelled or the worker is draining). A stage that was interrupted starts from
 * {@link StageContext#resumeFrom()} and must produce the same result as an uninterrupted run.
 */
public interface StageExecutor {

  /** The stage this executor runs. */
  Stage stage();

  /**
   * Loads what the stage needs (model weights) before the worker takes its first request, so that a
   * misconfigured worker fails at start and the first request does not pay the load. Called once,
   * only for the stages this worker serves.
   */
  default void warmUp() {}

  /**
   * Runs the stage to completion and returns what it produced.
   *
   * @throws StageException when the stage cannot complete; its {@link StageException#retryable()}
   *     says whether running it again may succeed
   * @throws StageStoppedException when the context asked the stage to stop
   */
  StageResult run(StageRequest request, StageContext context);
}
