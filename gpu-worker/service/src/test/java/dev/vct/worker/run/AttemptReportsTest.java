package dev.vct.worker.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.job.Stage;
import dev.vct.worker.report.StageEventSender;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An attempt's {@code started} report is held back, then sent before the attempt's next report or
 * folded into its success: exactly one of the two, in order, whichever thread comes first.
 */
class AttemptReportsTest {
  private static final Duration LONG = Duration.ofHours(1);
  private static final Map<BlobRole, String> OUTPUTS = Map.of(BlobRole.RESULT_IMAGE, "results/x");

  private final StageRunRef run =
      new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), Stage.FUSION, 1);
  private final StageEvent.Started started = StageEvent.Started.of(run, "worker-1", 7);
  private final RecordingSender sender = new RecordingSender();
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopTimers() {
    timers.shutdownNow();
  }

  @Test
  void aQuickStageSendsOnlyItsSuccessCarryingTheStart() throws InterruptedException {
    AttemptReports reports =
        AttemptReports.started(sender, started, Duration.ofMillis(100), timers);

    assertTrue(reports.succeeded(OUTPUTS, Map.of("seconds", 0.01), Instant.MAX));
    Thread.sleep(300); // past the delay: the cancelled timer sends nothing

    List<StageEvent> sent = sender.sent();
    assertEquals(1, sent.size(), "one event: " + sent);
    StageEvent.Succeeded succeeded = assertInstanceOf(StageEvent.Succeeded.class, sent.get(0));
    assertEquals(
        new StageEvent.AttemptStart("worker-1", started.occurredAt(), 7),
        succeeded.unreportedStart());
    assertEquals(run, succeeded.run());
    assertEquals(OUTPUTS, succeeded.outputKeys());
    assertTrue(
        !succeeded.unreportedStart().startedAt().isAfter(succeeded.occurredAt()),
        "started before it succeeded");
    assertFalse(reports.startPending());
  }

  @Test
  void aStageLongerThanTheDelaySendsStartedThenASuccessWithoutAStart() throws InterruptedException {
    AttemptReports reports = AttemptReports.started(sender, started, Duration.ofMillis(50), timers);

    awaitSent(1);
    assertEquals(List.of(started), sender.sent(), "the start went out when the delay ended");
    assertTrue(reports.succeeded(OUTPUTS, Map.of(), Instant.MAX));

    List<StageEvent> sent = sender.sent();
    assertEquals(2, sent.size(), "started, succeeded: " + sent);
    assertNull(assertInstanceOf(StageEvent.Succeeded.class, sent.get(1)).unreportedStart());
  }

  @Test
  void aReportOfAQuickStageSendsItsStartFirst() {
    AttemptReports reports = AttemptReports.started(sender, started, LONG, timers);
    StageEvent.Progress progress = StageEvent.Progress.of(run, 1, 3, 0.5);
    StageEvent.Checkpointed checkpoint = StageEvent.Checkpointed.of(run, "checkpoints/x/1", 1);

    reports.send(progress);
    reports.send(checkpoint);
    assertTrue(reports.succeeded(OUTPUTS, Map.of(), Instant.MAX));

    List<StageEvent> sent = sender.sent();
    assertEquals(List.of(started, progress, checkpoint), sent.subList(0, 3));
    assertNull(assertInstanceOf(StageEvent.Succeeded.class, sent.get(3)).unreportedStart());
    assertEquals(4, sent.size());
  }

  @Test
  void aFailureOrCancelOfAQuickStageSendsItsStartThenTheOutcome() {
    StageEvent.Failed failed = StageEvent.Failed.of(run, "out_of_memory", "no memory", true);
    AttemptReports failing = AttemptReports.started(sender, started, LONG, timers);
    assertTrue(failing.ended(failed, Instant.MAX));
    assertEquals(List.of(started, failed), sender.sent());

    RecordingSender other = new RecordingSender();
    StageEvent.Cancelled cancelled = StageEvent.Cancelled.of(run);
    AttemptReports cancelling = AttemptReports.started(other, started, LONG, timers);
    assertTrue(cancelling.ended(cancelled, Instant.MAX));
    assertEquals(List.of(started, cancelled), other.sent());
  }

  @Test
  void aReleasedOrHandedOverQuickStageSendsItsStartFirst() {
    StageEvent.Released released = StageEvent.Released.of(run, "worker-1", null, null);
    AttemptReports releasing = AttemptReports.started(sender, started, LONG, timers);
    assertTrue(releasing.ended(released, Instant.MAX));
    assertEquals(List.of(started, released), sender.sent());

    RecordingSender other = new RecordingSender();
    AttemptReports handedOver = AttemptReports.started(other, started, LONG, timers);
    handedOver.flush();
    assertEquals(List.of(started), other.sent());
    assertEquals(1, other.flushes);
  }

  @Test
  void aSupersededQuickStageSendsNothing() throws InterruptedException {
    AttemptReports reports = AttemptReports.started(sender, started, Duration.ofMillis(50), timers);
    reports.discard();
    Thread.sleep(200);
    assertEquals(List.of(), sender.sent());
  }

  @Test
  void noDelaySendsTheStartAtOnce() {
    AttemptReports reports = AttemptReports.started(sender, started, Duration.ZERO, null);
    assertEquals(List.of(started), sender.sent());
    assertTrue(reports.succeeded(OUTPUTS, Map.of(), Instant.MAX));
    assertNull(((StageEvent.Succeeded) sender.sent().get(1)).unreportedStart());
  }

  @Test
  void aSuccessIsNotSentAsAnotherOutcome() {
    AttemptReports reports = AttemptReports.started(sender, started, LONG, timers);
    StageEvent.Succeeded succeeded = StageEvent.Succeeded.of(run, OUTPUTS, Map.of());
    assertThrows(IllegalArgumentException.class, () -> reports.ended(succeeded, Instant.MAX));
  }

  /**
   * The timer, a heartbeat thread and the stage's thread race at the end of the delay: every time,
   * the start is sent once or folded once, and when sent it is the attempt's first event.
   */
  @Test
  void racingThreadsSendTheStartExactlyOnceAndFirst() throws InterruptedException {
    ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();
    try {
      for (int i = 0; i < 300; i++) {
        RecordingSender recorder = new RecordingSender();
        Duration delay = Duration.ofNanos(200_000L * (i % 10));
        AttemptReports reports = AttemptReports.started(recorder, started, delay, timers);
        CountDownLatch go = new CountDownLatch(1);
        StageEvent.Heartbeat heartbeat = StageEvent.Heartbeat.of(run, "worker-1");
        heartbeats.execute(
            () -> {
              await(go);
              reports.send(heartbeat);
            });
        go.countDown();
        Thread.sleep(0, 100_000 * (i % 7));
        assertTrue(reports.succeeded(OUTPUTS, Map.of(), Instant.MAX));
        Thread.sleep(3); // the delay and the heartbeat are over

        List<StageEvent> sent = recorder.sent();
        long startedCount = sent.stream().filter(e -> e instanceof StageEvent.Started).count();
        StageEvent.Succeeded success =
            (StageEvent.Succeeded)
                sent.stream().filter(e -> e instanceof StageEvent.Succeeded).findFirst().get();
        boolean carried = success.unreportedStart() != null;
        assertEquals(1, startedCount + (carried ? 1 : 0), "one start, sent or folded: " + sent);
        if (startedCount == 1) {
          assertEquals(started, sent.get(0), "the start comes first: " + sent);
        }
      }
    } finally {
      heartbeats.shutdownNow();
    }
  }

  private void awaitSent(int count) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (sender.sent().size() < count && System.nanoTime() < until) {
      Thread.sleep(5);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Records what the attempt hands to the producer, in the producer's order. */
  private static final class RecordingSender extends StageEventSender {
    private final List<StageEvent> sent = new ArrayList<>();
    int flushes;

    @Override
    public synchronized void send(StageEvent event) {
      sent.add(event);
    }

    @Override
    public synchronized boolean sendAndWait(StageEvent event, Instant giveUpAt) {
      sent.add(event);
      return true;
    }

    @Override
    public synchronized void flush() {
      flushes++;
    }

    synchronized List<StageEvent> sent() {
      return List.copyOf(sent);
    }
  }
}
