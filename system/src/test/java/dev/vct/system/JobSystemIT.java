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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The packaged orchestrator and two simulated workers as processes, against real PostgreSQL, Kafka
 * and S3 processes; processes are killed with SIGKILL and started again while jobs run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JobSystemIT {

  /** Short leases and frequent sweeps, heartbeats and checkpoints, so failures show quickly. */
  private static final JobStack.Settings SETTINGS =
      new JobStack.Settings(
          2,
          Map.of(
              "VCT_ORCHESTRATOR_LEASE", "4s",
              "VCT_ORCHESTRATOR_SWEEP_INTERVAL", "200ms",
              "VCT_ORCHESTRATOR_PLAN_GRACE", "2s",
              "VCT_ORCHESTRATOR_RETRY_BASE", "200ms",
              "VCT_ORCHESTRATOR_RETRY_CAP", "1s",
              "VCT_ORCHESTRATOR_STAGE_TOPIC_PARTITIONS", "4"),
          Map.of(
              "VCT_WORKER_HEARTBEAT_INTERVAL", "500ms",
              "VCT_WORKER_CHECKPOINT_EVERY_STEPS", "5",
              "VCT_WORKER_KAFKA_POLL_TIMEOUT", "100ms",
              "VCT_WORKER_KAFKA_SESSION_TIMEOUT", "6s",
              "VCT_WORKER_KAFKA_TOPIC_PARTITIONS", "4",
              "VCT_WORKER_DRAIN_TIMEOUT", "5s"),
          List.of(
              "-Xmx384m",
              "-XX:+UseSerialGC",
              "-XX:TieredStopAtLevel=1",
              "-Djava.awt.headless=true"));

  private JobStack stack;
  private JobClient client;
  private EventLog stageEvents;
  private CompletableFuture<Void> restartedWorker = CompletableFuture.completedFuture(null);

  @BeforeAll
  void startStack() throws IOException {
    Path dataDir = Files.createTempDirectory("vct-system-");
    stack = JobStack.start(dataDir, SETTINGS);
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
      restartedWorker.exceptionally(e -> null).join();
      stack.close();
    }
  }

  @Test
  @Order(1)
  void workerKilledMidStageIsResumedFromItsLastCheckpointByAnotherWorker() {
    // Quick inversions and scoring; a fusion of 40 steps of 100 ms that checkpoints every 5.
    Map<String, Object> parameters =
        Map.of(
            "simulate.steps", 3,
            "simulate.step-ms", 10,
            "simulate.fusion.steps", 40,
            "simulate.fusion.step-ms", 100);
    UUID uninterrupted = client.submit(parameters, 11);
    UUID crashed = client.submit(parameters, 11);

    StageEvent.Checkpointed checkpoint =
        stageEvents.await(
            StageEvent.Checkpointed.class,
            e -> e.jobId().equals(crashed) && e.stage() == Stage.FUSION && e.step() >= 10,
            Duration.ofSeconds(90));
    StageEvent.Started running =
        stageEvents.awaitStart(
            e ->
                e.stageRunId().equals(checkpoint.stageRunId())
                    && e.attempt() == checkpoint.attempt(),
            Duration.ofSeconds(5));
    QuarkusService victim = stack.worker(running.workerId());
    victim.kill();

    Map<UUID, JobRow> done =
        client.awaitTerminal(List.of(uninterrupted, crashed), Duration.ofSeconds(120));
    assertEquals("succeeded", done.get(crashed).status(), () -> describe(done.get(crashed)));
    assertEquals("succeeded", done.get(uninterrupted).status());

    // The attempt that produced the job's result resumed from a checkpoint, on another process.
    StageRunRow fusion = client.stageRun(crashed, "fusion");
    StageEvent.Started resumed =
        stageEvents.awaitStart(
            e -> e.stageRunId().equals(fusion.id()) && e.attempt() == fusion.attempt(),
            Duration.ofSeconds(5));
    assertNotNull(resumed.resumedFromStep(), "the final fusion attempt started from scratch");
    assertTrue(
        resumed.resumedFromStep() >= checkpoint.step(),
        "resumed from step " + resumed.resumedFromStep() + ", checkpointed " + checkpoint.step());
    assertNotEquals(running.workerId(), resumed.workerId(), "another worker resumed the stage");
    assertTrue(
        stageEvents.starts(e -> e.jobId().equals(uninterrupted)).stream()
            .allMatch(e -> e.resumedFromStep() == null),
        "the reference job ran without interruption");
    assertEquals(
        client.readText(done.get(uninterrupted).resultKey()),
        client.readText(done.get(crashed).resultKey()),
        "the resumed job's result equals the uninterrupted one's");

    restartedWorker = CompletableFuture.runAsync(victim::start);
  }

  @Test
  @Order(2)
  void everyJobEndsExactlyOnceThroughOrchestratorBrokerAndDatabaseRestarts() throws Exception {
    Map<String, Object> parameters = Map.of("simulate.steps", 5, "simulate.step-ms", 40);
    List<UUID> jobs = new ArrayList<>();
    submit(jobs, parameters, 8);
    Thread.sleep(1_000);

    stack.orchestrator().kill();
    submit(jobs, parameters, 6);
    stack.orchestrator().start();
    submit(jobs, parameters, 6);
    Thread.sleep(500);

    stack.kafka().kill();
    // The gateway stored these jobs but could not announce them: the sweeper plans them.
    for (int i = 0; i < 4; i++) {
      UUID job = UUID.randomUUID();
      client.insertJob(job, parameters, 100 + i);
      jobs.add(job);
    }
    stack.kafka().start();
    submit(jobs, parameters, 6);
    Thread.sleep(500);

    stack.postgres().kill();
    Thread.sleep(1_000);
    stack.postgres().start();
    submit(jobs, parameters, 6);

    Map<UUID, JobRow> done;
    try {
      done = client.awaitTerminal(jobs, Duration.ofSeconds(150));
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage() + stack.logTails(30), e);
    }
    Map<UUID, Integer> completions = client.completions(jobs);
    assertTrue(
        completions.values().stream().allMatch(n -> n == 1),
        "one job.completed event per job: " + completions);
    Map<String, Long> statuses =
        done.values().stream()
            .collect(Collectors.groupingBy(JobRow::status, Collectors.counting()));
    assertEquals(
        Map.of("succeeded", (long) jobs.size()),
        statuses,
        () ->
            done.values().stream()
                .filter(r -> !r.status().equals("succeeded"))
                .map(JobSystemIT::describe)
                .toList()
                .toString());
  }

  private void submit(List<UUID> jobs, Map<String, Object> parameters, int count) {
    for (int i = 0; i < count; i++) {
      jobs.add(client.submit(parameters, jobs.size()));
    }
  }

  private static String describe(JobRow job) {
    return job.id() + " " + job.status() + " " + job.errorCode() + ": " + job.errorMessage();
  }
}
