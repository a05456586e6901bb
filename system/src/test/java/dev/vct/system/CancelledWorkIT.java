package dev.vct.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.local.QuarkusService;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Stage;
import dev.vct.system.JobClient.JobRow;
import dev.vct.system.JobClient.StageRunRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Work nobody wants any more never runs: a content-inversion pool of one worker (its own consumer
 * group, one partition per stage topic, so requests queue in order behind a long stage) is frozen,
 * killed with SIGKILL and started again, or replaced, while its request is uncommitted, and the
 * request's job was cancelled or its attempt superseded meanwhile. Real PostgreSQL, Kafka and S3
 * processes, the packaged orchestrator and simulated workers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CancelledWorkIT {

  private static final String CONTENT = Stage.CONTENT_INVERSION.code();

  /** Short lease, frequent sweeps and heartbeats; a checkpoint every 20 steps (0.8 s). */
  private static final JobStack.Settings SETTINGS =
      new JobStack.Settings(
          1,
          Map.of(
              "VCT_ORCHESTRATOR_LEASE", "4s",
              "VCT_ORCHESTRATOR_SWEEP_INTERVAL", "200ms",
              "VCT_ORCHESTRATOR_PLAN_GRACE", "2s",
              "VCT_ORCHESTRATOR_RETRY_BASE", "200ms",
              "VCT_ORCHESTRATOR_RETRY_CAP", "1s",
              "VCT_ORCHESTRATOR_STAGE_TOPIC_PARTITIONS", "1",
              // one slot per worker thread: the next job's request waits in the orchestrator's
              // queue, not behind the running one in the topic
              "VCT_ORCHESTRATOR_DISPATCH_REQUESTS_PER_THREAD", "1"),
          Map.of(
              "VCT_WORKER_STAGES", "concept-inversion,fusion,scoring",
              "VCT_WORKER_HEARTBEAT_INTERVAL", "500ms",
              "VCT_WORKER_CHECKPOINT_EVERY_STEPS", "20",
              "VCT_WORKER_KAFKA_POLL_TIMEOUT", "100ms",
              "VCT_WORKER_KAFKA_SESSION_TIMEOUT", "6s",
              "VCT_WORKER_KAFKA_TOPIC_PARTITIONS", "1",
              "VCT_WORKER_DRAIN_TIMEOUT", "5s"),
          List.of(
              "-Xmx384m",
              "-XX:+UseSerialGC",
              "-XX:TieredStopAtLevel=1",
              "-Djava.awt.headless=true"));

  /** The content-inversion pool: its own stage and consumer group. */
  private static final Map<String, String> CONTENT_POOL =
      Map.of(
          "VCT_WORKER_STAGES", "content-inversion",
          "VCT_WORKER_GROUP_ID", "vct-workers-content");

  /** Quick stages but a content inversion of 600 steps of 40 ms (24 s). */
  private static final Map<String, Object> LONG =
      Map.of(
          "simulate.steps",
          3,
          "simulate.step-ms",
          10,
          "simulate." + CONTENT + ".steps",
          600,
          "simulate." + CONTENT + ".step-ms",
          40);

  private static final Map<String, Object> QUICK = Map.of("simulate.steps", 3);

  private JobStack stack;
  private JobClient client;
  private EventLog stageEvents;

  @BeforeAll
  void startStack() throws IOException {
    Path dataDir = Files.createTempDirectory("vct-cancelled-work-");
    stack = JobStack.start(dataDir, SETTINGS);
    stack.addWorker("content-1", CONTENT_POOL);
    client = new JobClient(stack);
    stageEvents = new EventLog(stack.kafka().bootstrapServers(), List.of(Topics.STAGE_EVENTS));
  }

  @AfterAll
  void stopStack() {
    if (stageEvents != null) {
      stageEvents.close();
    }
    if (client != null) {
      client.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  /**
   * The reproduction: a job is cancelled while its content inversion runs, and the worker
   * is SIGKILLed before it saw the cancel. The restarted worker reads the same uncommitted request
   * (its checkpoint is there to resume from) and must not run a step of it.
   */
  @Test
  @Order(1)
  void restartedWorkerSkipsTheCancelledJobsRequestAndRunsTheNextOne() throws Exception {
    UUID cancelled = client.submit(LONG, 7);
    StageEvent.Checkpointed saved = checkpointed(cancelled, 20);
    UUID next = client.submit(QUICK, 8);
    // The pool's one slot is taken: the next job's request waits in the orchestrator's queue.
    await(() -> client.stageRun(next, CONTENT).status().equals("queued"), "next queued");

    QuarkusService worker = stack.worker("content-1");
    // Frozen first, so the cancel cannot reach it: it dies with the request uncommitted.
    signal(worker, "STOP");
    client.cancel(cancelled);
    await(() -> client.job(cancelled).status().equals("cancelled"), "job cancelled");
    // The cancelled stage left flight: the next request goes out, behind the cancelled one.
    await(() -> client.stageRun(next, CONTENT).status().equals("dispatched"), "next dispatched");
    worker.kill();
    int stepAtKill = lastStepAfterDrain(saved.stageRunId());
    assertTrue(stepAtKill >= saved.step());
    worker.start();

    Map<UUID, JobRow> done = awaitTerminal(List.of(next), Duration.ofSeconds(120));
    assertEquals("succeeded", done.get(next).status(), () -> describe(done.get(next)));
    // The restarted worker ran no step of the cancelled job's stage: no start, no progress.
    stageEvents.received();
    assertEquals(
        1,
        stageEvents.starts(e -> e.stageRunId().equals(saved.stageRunId())).size(),
        "only the first worker started it");
    assertEquals(stepAtKill, lastStep(saved.stageRunId()), "no step after the restart");
    assertTrue(
        Files.readString(worker.logFile())
            .contains("stage skipped: " + CONTENT + " job=" + cancelled),
        "the restarted worker says it skipped the request");
    StageEvent.Started nextStarted =
        stageEvents.awaitStart(
            e -> e.jobId().equals(next) && e.stage() == Stage.CONTENT_INVERSION,
            Duration.ofSeconds(5));
    assertEquals("content-1", nextStarted.workerId(), "the restarted worker took the next one");
    assertEquals("cancelled", client.job(cancelled).status());
    assertEquals(Map.of(cancelled, 1, next, 1), client.completions(List.of(cancelled, next)));
  }

  /**
   * Attempt 1's request is still in the topic (its worker froze and died) when the orchestrator
   * re-dispatched the stage as attempt 2 behind it: a fresh worker, which never heard of attempt 1,
   * skips it and runs attempt 2 from the last checkpoint.
   */
  @Test
  @Order(2)
  void supersededAttemptNeverStartsOnAFreshWorker() throws Exception {
    UUID job = client.submit(LONG, 9);
    StageEvent.Checkpointed saved = checkpointed(job, 20);
    QuarkusService frozen = stack.worker("content-1");
    signal(frozen, "STOP");
    // No heartbeat for 4 s: the lease runs out and attempt 2 is dispatched.
    await(() -> client.stageRun(job, CONTENT).attempt() >= 2, "attempt 2 dispatched");
    frozen.kill();
    QuarkusService fresh = stack.addWorker("content-2", CONTENT_POOL);

    Map<UUID, JobRow> done = awaitTerminal(List.of(job), Duration.ofSeconds(120));
    assertEquals("succeeded", done.get(job).status(), () -> describe(done.get(job)));
    StageRunRow content = client.stageRun(job, CONTENT);
    assertEquals(2, content.attempt(), "one re-dispatch");
    stageEvents.received();
    assertEquals(
        List.of("content-1"),
        stageEvents
            .starts(e -> e.stageRunId().equals(saved.stageRunId()) && e.attempt() == 1)
            .stream()
            .map(StageEvent.Started::workerId)
            .toList(),
        "attempt 1 started only on the worker it was first given to");
    StageEvent.Started second =
        stageEvents.awaitStart(
            e -> e.stageRunId().equals(saved.stageRunId()) && e.attempt() == 2,
            Duration.ofSeconds(5));
    assertEquals("content-2", second.workerId());
    assertNotNull(second.resumedFromStep(), "attempt 2 started from scratch");
    assertTrue(
        second.resumedFromStep() >= saved.step(), "resumed from " + second.resumedFromStep());
    assertTrue(
        Files.readString(fresh.logFile())
            .contains(
                "stage skipped: "
                    + CONTENT
                    + " job="
                    + job
                    + " stage-run="
                    + content.id()
                    + " attempt=1"),
        "the fresh worker says it skipped attempt 1");
    assertEquals(Map.of(job, 1), client.completions(List.of(job)));
  }

  private StageEvent.Checkpointed checkpointed(UUID job, int step) {
    return stageEvents.await(
        StageEvent.Checkpointed.class,
        e -> e.jobId().equals(job) && e.stage() == Stage.CONTENT_INVERSION && e.step() >= step,
        Duration.ofSeconds(90));
  }

  /**
   * {@link #lastStep} once what its (dead) worker sent has surely been read: a report sent just
   * before the freeze may still be on its way to this test's consumer.
   */
  private int lastStepAfterDrain(UUID stageRunId) {
    long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (System.nanoTime() < until) {
      stageEvents.received();
    }
    return lastStep(stageRunId);
  }

  /** The last step any worker reported for the stage run (progress or checkpoint). */
  private int lastStep(UUID stageRunId) {
    return stageEvents.received().stream()
        .map(EventLog.Received::event)
        .filter(e -> e instanceof StageEvent s && s.stageRunId().equals(stageRunId))
        .mapToInt(
            e ->
                e instanceof StageEvent.Progress p
                    ? p.step()
                    : e instanceof StageEvent.Checkpointed c ? c.step() : -1)
        .max()
        .orElse(-1);
  }

  /** Waits for {@code condition}; a condition that throws (a row not written yet) is false. */
  private void await(Supplier<Boolean> condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!holds(condition)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 60 s: " + what + stack.logTails(30));
      }
      Thread.sleep(100);
    }
  }

  private static boolean holds(Supplier<Boolean> condition) {
    try {
      return condition.get();
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /** Sends {@code kill -SIG<signal>} to a worker process: STOP freezes it. */
  private static void signal(QuarkusService worker, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(worker.pid())).start();
    assertEquals(0, kill.waitFor(), "kill -" + signal + " " + worker.pid());
  }

  private Map<UUID, JobRow> awaitTerminal(List<UUID> jobs, Duration timeout) {
    try {
      return client.awaitTerminal(jobs, timeout);
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage() + stack.logTails(40), e);
    }
  }

  private static String describe(JobRow job) {
    return job.id() + " " + job.status() + " " + job.errorCode() + ": " + job.errorMessage();
  }
}
