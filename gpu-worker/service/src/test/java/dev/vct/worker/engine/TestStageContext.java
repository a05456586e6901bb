package dev.vct.worker.engine;

import dev.vct.storage.blob.BlobStore;
import dev.vct.worker.stage.CancellationToken;
import dev.vct.worker.stage.Checkpoint;
import dev.vct.worker.stage.StageContext;
import dev.vct.worker.stage.StageStoppedException;
import dev.vct.worker.stage.StopReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * A stage context without a worker: records the reported steps, keeps checkpoints in memory (one
 * when asked to stop with a checkpoint, as the worker's context does), counts the stage's stop
 * polls (one before every UNet pass), and stops the stage after a chosen step or while a chosen
 * pass runs.
 */
final class TestStageContext implements StageContext {
  private static final UUID STAGE_RUN = new UUID(0, 1);

  final List<Integer> steps = new ArrayList<>();
  final Map<Integer, Checkpoint> checkpoints = new HashMap<>();
  private final Map<String, byte[]> saved = new HashMap<>();
  private final BlobStore blobs;
  private final CancellationToken cancellation = new CancellationToken();
  private Optional<Checkpoint> resumeFrom = Optional.empty();
  private int stopAfter = -1;
  private int stopDuringPass = -1;
  private StopReason stopReason;

  /** How many times the stage asked whether to stop (once before each UNet pass). */
  int polls;

  TestStageContext(BlobStore blobs) {
    this.blobs = blobs;
  }

  /** Asks the stage to stop once it completed {@code step}. */
  TestStageContext stopAfter(int step, StopReason why) {
    stopAfter = step;
    stopReason = why;
    return this;
  }

  /**
   * Asks the stage to stop while its UNet pass {@code pass} runs (as a cancel message arriving then
   * would): the poll before that pass says go on, and the stop is requested right after.
   */
  TestStageContext stopDuringPass(int pass, StopReason why) {
    stopDuringPass = pass;
    stopReason = why;
    return this;
  }

  /** A context for the next run of the same stage run, resuming from {@code checkpoint}. */
  TestStageContext resumedFrom(Checkpoint checkpoint) {
    TestStageContext next = new TestStageContext(blobs);
    next.saved.putAll(saved);
    next.resumeFrom = Optional.of(checkpoint);
    return next;
  }

  @Override
  public BlobStore blobs() {
    return blobs;
  }

  @Override
  public Optional<Checkpoint> resumeFrom() {
    return resumeFrom;
  }

  @Override
  public byte[] loadCheckpoint(Checkpoint checkpoint) {
    return saved.get(checkpoint.blobKey());
  }

  @Override
  public void stepCompleted(int step, int totalSteps, Double loss, Supplier<byte[]> state) {
    steps.add(step);
    if (step == stopAfter) {
      cancellation.stop(stopReason);
    }
    Optional<StopReason> stop = cancellation.stopRequested();
    if (state != null && stop.map(StopReason::checkpointFirst).orElse(false)) {
      save(step, state.get());
    }
    stop.ifPresent(
        why -> {
          throw new StageStoppedException(why);
        });
  }

  @Override
  public boolean isStopRequested() {
    polls++;
    boolean stop = cancellation.isStopRequested();
    if (polls == stopDuringPass) {
      cancellation.stop(stopReason);
    }
    return stop;
  }

  @Override
  public StageStoppedException stoppedInsideStep(int completedSteps, Supplier<byte[]> state) {
    StopReason why = cancellation.stopRequested().orElseThrow();
    boolean held =
        checkpoints.containsKey(completedSteps)
            || resumeFrom.map(c -> c.step() == completedSteps).orElse(false);
    if (why.checkpointFirst() && completedSteps > 0 && !held) {
      save(completedSteps, state.get());
    }
    return new StageStoppedException(why);
  }

  @Override
  public CancellationToken cancellation() {
    return cancellation;
  }

  private void save(int step, byte[] state) {
    Checkpoint checkpoint = Checkpoint.of(STAGE_RUN, step);
    saved.put(checkpoint.blobKey(), state);
    checkpoints.put(step, checkpoint);
  }
}
