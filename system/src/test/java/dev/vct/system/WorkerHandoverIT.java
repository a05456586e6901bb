package dev.vct.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.local.QuarkusService;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Stage;
import dev.vct.system.JobClient.JobRow;
import dev.vct.system.JobClient.StageRunRow;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A concept-inversion pool (its own consumer group, as {@code ./vct up} runs it) whose workers come
 * and go while they run long stages: a worker that joins takes over a busy partition, and a worker
 * that freezes loses its stage to the lease. Real PostgreSQL, Kafka and S3 processes, the packaged
 * orchestrator and simulated workers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerHandoverIT {

  /** Partitions of every stage topic: two, so a second inversion worker takes exactly one. */
  private static final int PARTITIONS = 2;

  private static final String CONCEPT = Stage.CONCEPT_INVERSION.code();

  /**
   * The lease: long enough that a handover (the old owner stops at a rebalance, the joining worker,
   * still warming up, reads the request and reports) completes within it on a loaded machine (a 4 s
   * lease ran out there at a load of 20 on 2 cores), far below production's 60 s.
   */
  private static final Duration LEASE = Duration.ofSeconds(15);

  /**
   * Kafka's session timeout of the workers: long enough that a frozen worker keeps its partitions
   * until its lease ran out and the stage's next attempt was queued (its first attempt's request is
   * then superseded when another worker reads it). The broker counts the session from the worker's
   * last Kafka heartbeat, which the worker sends every third of the session: a frozen worker may be
   * dropped two thirds of the session after it froze. At 20 s (the lease + 5 s) that was 13 s,
   * before the 15 s lease ran out, and the other worker took attempt 1 over instead (a CI run). Two
   * thirds of 36 s is 24 s: 9 s after the lease.
   */
  private static final Duration SESSION = Duration.ofSeconds(36);

  /** Frequent sweeps and heartbeats; a checkpoint every 20 steps (0.8 s). */
  private static final JobStack.Settings SETTINGS =
      new JobStack.Settings(
          1,
          Map.of(
              "VCT_ORCHESTRATOR_LEASE", LEASE.toSeconds() + "s",
              "VCT_ORCHESTRATOR_SWEEP_INTERVAL", "200ms",
              "VCT_ORCHESTRATOR_PLAN_GRACE", "2s",
              "VCT_ORCHESTRATOR_RETRY_BASE", "200ms",
              "VCT_ORCHESTRATOR_RETRY_CAP", "1s",
              "VCT_ORCHESTRATOR_STAGE_TOPIC_PARTITIONS", Integer.toString(PARTITIONS)),
          Map.of(
              "VCT_WORKER_STAGES", "content-inversion,fusion,scoring",
              "VCT_WORKER_HEARTBEAT_INTERVAL", "500ms",
              "VCT_WORKER_CHECKPOINT_EVERY_STEPS", "20",
              "VCT_WORKER_KAFKA_POLL_TIMEOUT", "100ms",
              "VCT_WORKER_KAFKA_SESSION_TIMEOUT", SESSION.toSeconds() + "s",
              "VCT_WORKER_KAFKA_TOPIC_PARTITIONS", Integer.toString(PARTITIONS),
              "VCT_WORKER_DRAIN_TIMEOUT", "5s"),
          List.of(
              "-Xmx384m",
              "-XX:+UseSerialGC",
              "-XX:TieredStopAtLevel=1",
              "-Djava.awt.headless=true"));

  /** The concept-inversion pool: its own stage and consumer group. */
  private static final Map<String, String> CONCEPT_POOL =
      Map.of(
          "VCT_WORKER_STAGES", "concept-inversion",
          "VCT_WORKER_GROUP_ID", "vct-workers-concept");

  /** One step of the simulated concept inversion. */
  private static final Duration STEP = Duration.ofMillis(40);

  private JobStack stack;

  /**
   * Quick stages but a concept inversion of at least 600 steps of 40 ms (24 s), and longer when
   * starting a worker took long (a loaded machine): the stage must still run when the second worker
   * has started and joined the group, three times as long as the first took to start.
   */
  private Map<String, Object> parameters;

  /** How long one such concept inversion runs uninterrupted; the waits below scale with it. */
  private Duration stageLength;

  /** The concept embedding of an uninterrupted run with seed 7, from the first test. */
  private String uninterruptedConcept;

  private JobClient client;
  private EventLog stageEvents;

  @BeforeAll
  void startStack() throws IOException {
    Path dataDir = Files.createTempDirectory("vct-handover-");
    stack = JobStack.start(dataDir, SETTINGS);
    // Runs both partitions' stages at once, so whichever partition moves away is busy.
    Map<String, String> first = new HashMap<>(CONCEPT_POOL);
    first.put("VCT_WORKER_CONCURRENCY", "2");
    long begin = System.nanoTime();
    stack.addWorker("inversion-1", first);
    Duration workerStart = Duration.ofNanos(System.nanoTime() - begin);
    Duration stage = workerStart.multipliedBy(3).plusSeconds(10);
    long steps = Math.max(600, stage.toMillis() / STEP.toMillis());
    stageLength = STEP.multipliedBy(steps);
    System.out.printf(
        "WorkerHandoverIT: a worker started in %d ms; concept inversions of %d steps%n",
        workerStart.toMillis(), steps);
    parameters =
        Map.of(
            "simulate.steps",
            3,
            "simulate.step-ms",
            10,
            "simulate." + CONCEPT + ".steps",
            steps,
            "simulate." + CONCEPT + ".step-ms",
            STEP.toMillis());
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

  @Test
  @Order(1)
  void workerJoiningTheGroupTakesOverABusyPartitionAndResumesAtTheHandoverCheckpoint() {
    UUID onFirst = submitOnPartition(0, 7);
    UUID onSecond = submitOnPartition(1, 7);
    for (UUID job : List.of(onFirst, onSecond)) {
      stageEvents.await(
          StageEvent.Checkpointed.class,
          e -> e.jobId().equals(job) && e.stage() == Stage.CONCEPT_INVERSION && e.step() >= 20,
          Duration.ofSeconds(60));
    }

    stack.addWorker("inversion-2", CONCEPT_POOL);

    // A Started event, not a start carried by a success: the stage has steps left, and its first
    // progress report sends the held-back start; its place among the run's events is checked below.
    StageEvent.Started takenOver =
        stageEvents.await(
            StageEvent.Started.class,
            e -> e.stage() == Stage.CONCEPT_INVERSION && e.workerId().equals("inversion-2"),
            stageLength.plusSeconds(30));
    UUID moved = takenOver.jobId();
    UUID stayed = moved.equals(onFirst) ? onSecond : onFirst;
    Map<UUID, JobRow> done = awaitTerminal(List.of(onFirst, onSecond), stageLength.plusSeconds(90));
    assertEquals("succeeded", done.get(moved).status(), () -> describe(done.get(moved)));
    assertEquals("succeeded", done.get(stayed).status(), () -> describe(done.get(stayed)));

    StageRunRow concept = client.stageRun(moved, CONCEPT);
    // Handed over within the same attempt: no lease ran out, nothing was re-dispatched.
    assertEquals(1, concept.attempt(), "the handover needed no re-dispatch");
    assertEquals(1, takenOver.attempt());
    // The old owner checkpointed where it stopped, before the new owner began, which resumed
    // exactly there: no step was lost, none ran on both workers at once.
    assertNotNull(takenOver.resumedFromStep(), "inversion-2 started the stage from scratch");
    int resumed = takenOver.resumedFromStep();
    assertTrue(resumed >= 20, "resumed from step " + resumed);
    List<StageEvent> run = eventsOf(takenOver.stageRunId());
    int handover = run.indexOf(takenOver);
    assertEquals(
        resumed,
        run.subList(0, handover).stream().mapToInt(WorkerHandoverIT::step).max().orElse(-1),
        "the new owner resumed at the old owner's last step");
    assertTrue(
        run.subList(handover, run.size()).stream()
            .filter(StageEvent.Checkpointed.class::isInstance)
            .allMatch(e -> step(e) > resumed),
        "no checkpoint at or before the handover step after the new owner started: " + run);
    // One outcome per stage run and one completion per job; equal results.
    for (UUID job : List.of(moved, stayed)) {
      assertEquals(
          1,
          stageEvents
              .all(
                  StageEvent.Succeeded.class,
                  e -> e.jobId().equals(job) && e.stage() == Stage.CONCEPT_INVERSION)
              .size(),
          "one concept-inversion outcome for job " + job);
    }
    assertEquals(Map.of(moved, 1, stayed, 1), client.completions(List.of(moved, stayed)));
    uninterruptedConcept = client.readText(client.stageRun(stayed, CONCEPT).outputKey());
    assertEquals(
        uninterruptedConcept,
        client.readText(concept.outputKey()),
        "the handed-over inversion's result equals the uninterrupted one's");
  }

  @Test
  @Order(2)
  void frozenWorkerLosesItsStageToTheLeaseAndItsLateReportsChangeNothing() throws Exception {
    UUID job = submitOnPartition(0, 7);
    StageEvent.Checkpointed saved =
        stageEvents.await(
            StageEvent.Checkpointed.class,
            e -> e.jobId().equals(job) && e.stage() == Stage.CONCEPT_INVERSION && e.step() >= 20,
            Duration.ofSeconds(60));
    StageEvent.Started first =
        stageEvents.awaitStart(
            e -> e.stageRunId().equals(saved.stageRunId()) && e.attempt() == 1,
            Duration.ofSeconds(5));
    QuarkusService frozen = stack.worker(first.workerId());
    StageEvent.Started next;
    Map<UUID, JobRow> done;
    signal(frozen, "STOP");
    try {
      // No heartbeat for the lease: attempt 2; once Kafka drops the frozen worker (the session
      // timeout, later), the other worker of the pool reads the partition, skips attempt 1's
      // request as superseded and runs attempt 2 from the last checkpoint.
      next =
          stageEvents.awaitStart(
              e -> e.stageRunId().equals(saved.stageRunId()) && e.attempt() >= 2,
              LEASE.plus(SESSION).plusSeconds(60));
      done = awaitTerminal(List.of(job), stageLength.plusSeconds(60));
    } finally {
      signal(frozen, "CONT");
    }
    assertEquals("succeeded", done.get(job).status(), () -> describe(done.get(job)));
    assertEquals(2, next.attempt(), "re-dispatched once, with the next attempt number");
    assertNotEquals(frozen.name(), next.workerId());
    assertNotNull(next.resumedFromStep(), "attempt 2 started from scratch");
    assertTrue(next.resumedFromStep() >= saved.step(), "resumed from " + next.resumedFromStep());

    // The thawed worker's late reports of attempt 1 arrive and are ignored.
    long thawed = System.nanoTime();
    while (System.nanoTime() - thawed < Duration.ofSeconds(5).toNanos()) {
      stageEvents.received();
    }
    StageRunRow concept = client.stageRun(job, CONCEPT);
    assertEquals(2, concept.attempt());
    assertEquals("succeeded", concept.status());
    assertEquals("succeeded", client.job(job).status());
    assertEquals(Map.of(job, 1), client.completions(List.of(job)));
    assertEquals(uninterruptedConcept, client.readText(concept.outputKey()));
  }

  /** Sends {@code kill -SIG<signal>} to a worker process: STOP freezes it, CONT thaws it. */
  private static void signal(QuarkusService worker, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(worker.pid())).start();
    assertEquals(0, kill.waitFor(), "kill -" + signal + " " + worker.pid());
  }

  /** Every event of one stage run, in the order the orchestrator reads them. */
  private List<StageEvent> eventsOf(UUID stageRunId) {
    return stageEvents.received().stream()
        .map(EventLog.Received::event)
        .filter(StageEvent.class::isInstance)
        .map(StageEvent.class::cast)
        .filter(e -> e.stageRunId().equals(stageRunId))
        .toList();
  }

  /** The step a progress or checkpoint report speaks of; -1 for other events. */
  private static int step(StageEvent event) {
    if (event instanceof StageEvent.Progress progress) {
      return progress.step();
    }
    if (event instanceof StageEvent.Checkpointed checkpointed) {
      return checkpointed.step();
    }
    return -1;
  }

  private Map<UUID, JobRow> awaitTerminal(List<UUID> jobs, Duration timeout) {
    try {
      return client.awaitTerminal(jobs, timeout);
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage() + stack.logTails(40), e);
    }
  }

  /** Submits a job whose stage requests land on {@code partition} of every stage topic. */
  private UUID submitOnPartition(int partition, long seed) {
    UUID job;
    do {
      job = UUID.randomUUID();
    } while (partitionOf(job) != partition);
    client.insertJob(job, parameters, seed);
    client.announce(job);
    return job;
  }

  /** Where Kafka's default partitioner puts a record keyed by the job id. */
  private static int partitionOf(UUID job) {
    return Utils.toPositive(Utils.murmur2(job.toString().getBytes(StandardCharsets.UTF_8)))
        % PARTITIONS;
  }

  private static String describe(JobRow job) {
    return job.id() + " " + job.status() + " " + job.errorCode() + ": " + job.errorMessage();
  }
}
