package dev.vct.worker.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.storage.blob.FilesystemBlobStore;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.job.Stage;
import dev.vct.worker.config.WorkerConfig;
import dev.vct.worker.report.StageEventSender;
import dev.vct.worker.stage.CancellationToken;
import dev.vct.worker.stage.Checkpoint;
import dev.vct.worker.stage.StageStoppedException;
import dev.vct.worker.stage.StopReason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker's stage context when a stage stops inside a step (within one UNet pass). */
class RunContextTest {

  @TempDir Path dir;

  private final StageRunRef run =
      new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), Stage.CONTENT_INVERSION, 1);
  private final List<StageEvent> sent = new ArrayList<>();
  private final CancellationToken token = new CancellationToken();

  private RunContext context(Optional<Checkpoint> resumeFrom) {
    StageEventSender sender =
        new StageEventSender() {
          @Override
          public void send(StageEvent event) {
            sent.add(event);
          }
        };
    AttemptReports reports =
        AttemptReports.started(
            sender, StageEvent.Started.of(run, "test-worker", null), Duration.ZERO, null);
    return new RunContext(
        run, new FilesystemBlobStore(dir), reports, config(), token, resumeFrom, () -> {});
  }

  @Test
  void aDrainInsideAStepCheckpointsTheLastCompletedStep() throws IOException {
    RunContext context = context(Optional.empty());
    for (int step = 1; step <= 3; step++) {
      context.stepCompleted(step, 10, 0.5, () -> new byte[] {9});
    }
    token.stop(StopReason.DRAINING);

    StageStoppedException stopped = context.stoppedInsideStep(3, () -> new byte[] {1, 2, 3});

    assertEquals(StopReason.DRAINING, stopped.reason());
    Checkpoint saved = context.lastCheckpoint().orElseThrow();
    assertEquals(3, saved.step());
    try (InputStream in = new FilesystemBlobStore(dir).open(saved.blobKey())) {
      assertArrayEquals(new byte[] {1, 2, 3}, in.readAllBytes());
    }
    assertTrue(sent.stream().anyMatch(e -> e instanceof StageEvent.Checkpointed));
    assertEquals(3, context.lastStep());
  }

  @Test
  void aStopInsideTheStepAfterTheResumedOneSavesNothingNew() {
    Checkpoint resumed = Checkpoint.of(run.stageRunId(), 4);
    RunContext context = context(Optional.of(resumed));
    token.stop(StopReason.SUPERSEDED);

    StageStoppedException stopped =
        context.stoppedInsideStep(
            4,
            () -> {
              throw new AssertionError("the state of step 4 is saved already");
            });

    assertEquals(StopReason.SUPERSEDED, stopped.reason());
    assertEquals(Optional.of(resumed), context.lastCheckpoint());
  }

  @Test
  void aCancelInsideAStepSavesNothing() {
    RunContext context = context(Optional.empty());
    context.stepCompleted(1, 10, null, () -> new byte[] {9});
    token.stop(StopReason.CANCELLED);

    StageStoppedException stopped =
        context.stoppedInsideStep(
            1,
            () -> {
              throw new AssertionError("a cancelled stage saves nothing");
            });

    assertEquals(StopReason.CANCELLED, stopped.reason());
    assertEquals(Optional.empty(), context.lastCheckpoint());
  }

  @Test
  void stoppingInsideAStepWithoutAStopRequestIsABug() {
    RunContext context = context(Optional.empty());
    assertThrows(IllegalStateException.class, () -> context.stoppedInsideStep(0, () -> null));
  }

  /** Checkpoints only when a stop asks for one (every 1000 steps or hour otherwise). */
  private static WorkerConfig config() {
    WorkerConfig.Checkpoint cadence =
        new WorkerConfig.Checkpoint() {
          @Override
          public int everySteps() {
            return 1000;
          }

          @Override
          public Duration every() {
            return Duration.ofHours(1);
          }
        };
    return new WorkerConfig() {
      @Override
      public List<String> stages() {
        return List.of("content-inversion");
      }

      @Override
      public Optional<String> id() {
        return Optional.of("test-worker");
      }

      @Override
      public String groupId() {
        return "test";
      }

      @Override
      public int concurrency() {
        return 1;
      }

      @Override
      public Duration heartbeatInterval() {
        return Duration.ofSeconds(10);
      }

      @Override
      public Duration startedReportDelay() {
        return Duration.ZERO;
      }

      @Override
      public Duration progressInterval() {
        return Duration.ofSeconds(1);
      }

      @Override
      public WorkerConfig.Checkpoint checkpoint() {
        return cadence;
      }

      @Override
      public Duration handoverTimeout() {
        return Duration.ofSeconds(5);
      }

      @Override
      public Kafka kafka() {
        throw new UnsupportedOperationException();
      }

      @Override
      public AttemptCheck attemptCheck() {
        throw new UnsupportedOperationException();
      }

      @Override
      public Duration drainTimeout() {
        return Duration.ofSeconds(60);
      }
    };
  }
}
