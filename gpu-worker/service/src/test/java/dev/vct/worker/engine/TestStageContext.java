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
 * when asked to stop with a checkpoint, as the worker's context does), and stops the stage after a
 * chosen step.
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
  private StopReason stopReason;

  TestStageContext(BlobStore blobs) {
    this.blobs = blobs;
  }

  /** Asks the stage to stop once it completed {@code step}. */
  TestStageContext stopAfter(int step, StopReason why) {
    stopAfter = step;
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
      Checkpoint checkpoint = Checkpoint.of(STAGE_RUN, step);
      saved.put(checkpoint.blobKey(), state.get());
      checkpoints.put(step, checkpoint);
    }
    stop.ifPresent(
        why -> {
          throw new StageStoppedException(why);
        });
  }

  @Override
  public CancellationToken cancellation() {
    return cancellation;
  }
}
