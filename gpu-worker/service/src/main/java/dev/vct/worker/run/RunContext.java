package dev.vct.worker.run;

import dev.vct.storage.blob.BlobStore;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRunRef;
import dev.vct.worker.config.WorkerConfig;
import dev.vct.worker.stage.CancellationToken;
import dev.vct.worker.stage.Checkpoint;
import dev.vct.worker.stage.StageContext;
import dev.vct.worker.stage.StageStoppedException;
import dev.vct.worker.stage.StopReason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** The {@link StageContext} of one attempt on this worker; used by the stage's thread only. */
final class RunContext implements StageContext {
  private final StageRunRef run;
  private final BlobStore blobs;
  private final AttemptReports reports;
  private final WorkerConfig.Checkpoint cadence;
  private final Duration progressInterval;
  private final CancellationToken cancellation;
  private final Optional<Checkpoint> resumeFrom;
  private final Runnable onCheckpoint;

  private volatile Checkpoint lastCheckpoint;
  private volatile int lastStep;
  private long lastCheckpointNanos = System.nanoTime();
  private long lastProgressNanos;

  RunContext(
      StageRunRef run,
      BlobStore blobs,
      AttemptReports reports,
      WorkerConfig config,
      CancellationToken cancellation,
      Optional<Checkpoint> resumeFrom,
      Runnable onCheckpoint) {
    this.run = run;
    this.blobs = blobs;
    this.reports = reports;
    this.cadence = config.checkpoint();
    this.progressInterval = config.progressInterval();
    this.cancellation = cancellation;
    this.resumeFrom = resumeFrom;
    this.lastCheckpoint = resumeFrom.orElse(null);
    this.lastStep = resumeFrom.map(Checkpoint::step).orElse(0);
    this.onCheckpoint = onCheckpoint;
    this.lastProgressNanos = System.nanoTime() - progressInterval.toNanos();
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
    try (InputStream in = blobs.open(checkpoint.blobKey())) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + checkpoint.blobKey(), e);
    }
  }

  @Override
  public void stepCompleted(int step, int totalSteps, Double loss, Supplier<byte[]> state) {
    lastStep = step;
    long now = System.nanoTime();
    if (step == totalSteps || now - lastProgressNanos >= progressInterval.toNanos()) {
      reports.send(StageEvent.Progress.of(run, step, totalSteps, loss));
      lastProgressNanos = now;
    }
    Optional<StopReason> stop = cancellation.stopRequested();
    int sinceLast = stepsSinceCheckpoint(step);
    boolean due =
        sinceLast >= cadence.everySteps()
            || now - lastCheckpointNanos >= cadence.every().toNanos()
            || stop.map(StopReason::checkpointFirst).orElse(false);
    if (state != null && due && sinceLast > 0) {
      save(step, state.get());
    }
    stop.ifPresent(
        why -> {
          throw new StageStoppedException(why);
        });
  }

  @Override
  public StageStoppedException stoppedInsideStep(int completedSteps, Supplier<byte[]> state) {
    StopReason why =
        cancellation
            .stopRequested()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "the stage stopped inside step "
                            + (completedSteps + 1)
                            + " but no stop was requested"));
    if (why.checkpointFirst() && stepsSinceCheckpoint(completedSteps) > 0) {
      save(completedSteps, state.get());
    }
    return new StageStoppedException(why);
  }

  @Override
  public CancellationToken cancellation() {
    return cancellation;
  }

  private int stepsSinceCheckpoint(int step) {
    return lastCheckpoint == null ? step : step - lastCheckpoint.step();
  }

  /** The newest checkpoint of this stage run: saved by this attempt, or the one it resumed from. */
  Optional<Checkpoint> lastCheckpoint() {
    return Optional.ofNullable(lastCheckpoint);
  }

  /** The last step this attempt completed, or the step it resumed from; for the worker's log. */
  int lastStep() {
    return lastStep;
  }

  private void save(int step, byte[] bytes) {
    Checkpoint checkpoint = Checkpoint.of(run.stageRunId(), step);
    blobs.put(
        checkpoint.blobKey(),
        new ByteArrayInputStream(bytes),
        bytes.length,
        "application/octet-stream");
    lastCheckpoint = checkpoint;
    lastCheckpointNanos = System.nanoTime();
    onCheckpoint.run();
    reports.send(StageEvent.Checkpointed.of(run, checkpoint.blobKey(), step));
  }
}
