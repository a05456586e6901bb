package dev.vct.orchestrator.job;

import static dev.vct.orchestrator.job.JobFixture.assertEventLogIsGapFreeWithOneCompletion;
import static dev.vct.orchestrator.job.JobFixture.awaitJob;
import static dev.vct.orchestrator.job.JobFixture.randomSha;
import static dev.vct.orchestrator.job.JobFixture.run;
import static dev.vct.orchestrator.job.JobFixture.runs;
import static dev.vct.orchestrator.job.JobFixture.sleep;
import static dev.vct.orchestrator.job.JobFixture.stageChanges;
import static dev.vct.storage.job.Stage.CONCEPT_INVERSION;
import static dev.vct.storage.job.Stage.CONTENT_INVERSION;
import static dev.vct.storage.job.Stage.FUSION;
import static dev.vct.storage.job.Stage.SCORING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.local.test.PostgresTestResource;
import dev.vct.local.test.S3TestResource;
import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.EventDecodingException;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator against real PostgreSQL, Kafka and S3, with the test playing the workers: it
 * reads the stage requests the orchestrator dispatches and answers with stage events.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = S3TestResource.class, restrictToAnnotatedClass = false)
class JobLifecycleTest {
  @Inject Config config;
  @Inject JobService jobs;

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  private JobFixture fixture;
  private FakeWorker worker;

  @BeforeEach
  void setUp() {
    fixture = new JobFixture(bootstrapServers);
    worker = fixture.worker;
  }

  @AfterEach
  void tearDown() {
    fixture.close();
  }

  @Test
  void jobGoesThroughAllFourStagesToSucceeded() {
    UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    StageRequest content = worker.next(job, CONTENT_INVERSION);
    StageRequest concept = worker.next(job, CONCEPT_INVERSION);
    assertEquals(1, content.attempt());
    worker.succeed(content);
    worker.succeed(concept);
    StageRequest fusion = worker.next(job, FUSION);
    assertEquals(
        content.outputKeys().values().iterator().next(),
        fusion.inputKeys().get(BlobRole.CONTENT_EMBEDDING));
    worker.succeed(fusion);
    worker.succeed(worker.next(job, SCORING));

    Job done = awaitJob(job, j -> j.status.terminal());
    assertEquals(JobStatus.SUCCEEDED, done.status);
    assertEquals("outputs/" + job + "/result.png", done.resultKey);
    assertEquals(0.25, done.scores.lpips());
    assertEquals(20.5, done.scores.brisque());
    assertTrue(runs(job).stream().allMatch(r -> r.status == StageRunStatus.SUCCEEDED));
    assertEventLogIsGapFreeWithOneCompletion(job, JobStatus.SUCCEEDED);
  }

  /**
   * A quick stage's worker sends no started: the success carries the start, which is applied first
   * to the dispatched run (its start time is the worker's), and the job goes on. A success that
   * carries a start for a run already running keeps the start the orchestrator heard of first.
   */
  @Test
  void aSuccessCarryingItsStartFinishesADispatchedRunAndTheJobGoesOn() {
    UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    StageRequest content = worker.next(job, CONTENT_INVERSION);
    StageRequest concept = worker.next(job, CONCEPT_INVERSION);
    assertEquals(StageRunStatus.DISPATCHED, run(job, CONTENT_INVERSION).status);
    sleep(Duration.ofMillis(5));
    Instant contentStart = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    sleep(Duration.ofMillis(5));
    worker.succeedCarryingStart(content, contentStart);
    worker.started(concept);
    StageRun conceptRunning = awaitRun(job, CONCEPT_INVERSION, StageRunStatus.RUNNING);
    worker.succeedCarryingStart(concept, contentStart.minusSeconds(3_600));

    StageRequest fusion = worker.next(job, FUSION);
    StageRun contentDone = run(job, CONTENT_INVERSION);
    assertEquals(StageRunStatus.SUCCEEDED, contentDone.status);
    assertEquals(contentStart, contentDone.startedAt, "the worker's start");
    assertTrue(!contentDone.finishedAt.isBefore(contentDone.startedAt));
    StageRun conceptDone = run(job, CONCEPT_INVERSION);
    assertEquals(StageRunStatus.SUCCEEDED, conceptDone.status);
    assertEquals(conceptRunning.startedAt, conceptDone.startedAt, "the start heard first");
    worker.succeedCarryingStart(fusion, Instant.now());
    worker.succeedCarryingStart(worker.next(job, SCORING), Instant.now());

    Job done = awaitJob(job, j -> j.status.terminal());
    assertEquals(JobStatus.SUCCEEDED, done.status);
    assertTrue(
        runs(job).stream()
            .allMatch(r -> r.status == StageRunStatus.SUCCEEDED && r.startedAt != null),
        "every run succeeded with its start");
    assertEventLogIsGapFreeWithOneCompletion(job, JobStatus.SUCCEEDED);
  }

  private static StageRun awaitRun(UUID job, Stage stage, StageRunStatus status) {
    long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    StageRun found = run(job, stage);
    while (found.status != status && System.nanoTime() < until) {
      sleep(Duration.ofMillis(20));
      found = run(job, stage);
    }
    assertEquals(status, found.status, stage.code() + " of job " + job);
    return found;
  }

  /**
   * A stage run's {@code version} counts its updates. A run queued and sent by one transaction is
   * written once: inserted as dispatched when its job is planned (version 0), updated once when a
   * stage success queues and sends it (fusion: version 1). When another transaction held the pool
   * (the dispatcher thread), the run is written queued and sent by that one: one write more.
   */
  @Test
  void aRunQueuedAndSentInOneTransactionIsWrittenOnce() {
    List<Long> inversions = new ArrayList<>();
    List<Long> fusions = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
      StageRequest content = worker.next(job, CONTENT_INVERSION);
      StageRequest concept = worker.next(job, CONCEPT_INVERSION);
      assertEquals(StageRunStatus.DISPATCHED, run(job, CONTENT_INVERSION).status);
      inversions.add(run(job, CONTENT_INVERSION).version);
      inversions.add(run(job, CONCEPT_INVERSION).version);
      worker.succeed(content);
      worker.succeed(concept);
      StageRequest fusion = worker.next(job, FUSION);
      assertEquals(StageRunStatus.DISPATCHED, run(job, FUSION).status);
      fusions.add(run(job, FUSION).version);
      worker.succeed(fusion);
      worker.succeed(worker.next(job, SCORING));
      assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
      assertEventLogIsGapFreeWithOneCompletion(job, JobStatus.SUCCEEDED);
    }
    assertTrue(inversions.stream().allMatch(v -> v <= 1), "inversion versions " + inversions);
    assertTrue(inversions.contains(0L), "inversion versions " + inversions);
    assertTrue(fusions.stream().allMatch(v -> v <= 2), "fusion versions " + fusions);
    assertTrue(fusions.contains(1L), "fusion versions " + fusions);
  }

  /**
   * The job's log holds the state each transaction left a run in: a run queued and sent by one
   * transaction (written once, version 0, as above) is one {@code job.stage-changed}, to
   * dispatched; one the dispatcher thread sent in a transaction of its own shows both states.
   */
  @Test
  void aRunQueuedAndSentInOneTransactionIsOneJobEvent() {
    int folded = 0;
    for (int i = 0; i < 3; i++) {
      UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
      StageRequest content = worker.next(job, CONTENT_INVERSION);
      StageRequest concept = worker.next(job, CONCEPT_INVERSION);
      for (Stage stage : List.of(CONTENT_INVERSION, CONCEPT_INVERSION)) {
        List<StageRunStatus> changes = stageChanges(job, stage);
        if (run(job, stage).version == 0) {
          assertEquals(List.of(StageRunStatus.DISPATCHED), changes, stage.code());
          folded++;
        } else {
          assertEquals(
              List.of(StageRunStatus.QUEUED, StageRunStatus.DISPATCHED), changes, stage.code());
        }
      }
      worker.succeed(content);
      worker.succeed(concept);
      worker.succeed(worker.next(job, FUSION));
      worker.succeed(worker.next(job, SCORING));
      assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
      assertEventLogIsGapFreeWithOneCompletion(job, JobStatus.SUCCEEDED);
    }
    assertTrue(folded > 0, "no run was queued and sent by its planning transaction");
  }

  @Test
  void secondJobWithTheSameReferenceSkipsConceptInversion() {
    String reference = randomSha();
    UUID first = fixture.submit(fixture.newJob(randomSha(), reference));
    runToSuccess(first);

    UUID second = fixture.submit(fixture.newJob(randomSha(), reference));
    worker.succeed(worker.next(second, CONTENT_INVERSION));
    StageRequest fusion = worker.next(second, FUSION);
    StageRun concept = run(second, CONCEPT_INVERSION);
    assertEquals(StageRunStatus.SKIPPED, concept.status);
    assertEquals(0, concept.attempt);
    assertTrue(
        concept.skipReason.startsWith("reused the cached concept embedding"), concept.skipReason);
    assertEquals(
        run(first, CONCEPT_INVERSION).outputKey,
        fusion.inputKeys().get(BlobRole.CONCEPT_EMBEDDING));
    worker.succeed(fusion);
    worker.succeed(worker.next(second, SCORING));
    assertEquals(JobStatus.SUCCEEDED, awaitJob(second, j -> j.status.terminal()).status);
    assertTrue(
        worker.received(second, Duration.ZERO).stream()
            .noneMatch(r -> r.stage() == CONCEPT_INVERSION));
  }

  @Test
  void otherFusionAndContentKnobsStillReuseTheCachedConcept() {
    String reference = randomSha();
    UUID first =
        fixture.submit(fixture.newJob(randomSha(), reference, Map.of("guidance_scale", 7.5)));
    runToSuccess(first);

    String source = randomSha();
    UUID second =
        fixture.submit(
            fixture.newJob(
                source,
                reference,
                Map.of(
                    "guidance_scale", 5.0,
                    "content_inner_steps", 10,
                    "self_injection_ratio", 0.5)));
    worker.succeed(worker.next(second, CONTENT_INVERSION));
    StageRequest fusion = worker.next(second, FUSION);
    assertEquals(StageRunStatus.SKIPPED, run(second, CONCEPT_INVERSION).status);
    assertEquals(
        run(first, CONCEPT_INVERSION).outputKey,
        fusion.inputKeys().get(BlobRole.CONCEPT_EMBEDDING));
    worker.succeed(fusion);
    worker.succeed(worker.next(second, SCORING));
    assertEquals(JobStatus.SUCCEEDED, awaitJob(second, j -> j.status.terminal()).status);
  }

  @Test
  void anotherConceptKnobRunsConceptInversionAgain() {
    String reference = randomSha();
    UUID first =
        fixture.submit(fixture.newJob(randomSha(), reference, Map.of("concept_steps", 500)));
    runToSuccess(first);

    UUID second =
        fixture.submit(fixture.newJob(randomSha(), reference, Map.of("concept_steps", 100)));
    StageRequest concept = worker.next(second, CONCEPT_INVERSION);
    assertEquals(1, concept.attempt());
    assertNotEquals(
        run(first, CONCEPT_INVERSION).outputKey,
        concept.outputKeys().get(BlobRole.CONCEPT_EMBEDDING),
        "another concept knob writes another embedding");
    runToSuccess(second, concept);
  }

  @Test
  void expiredLeaseIsRedispatchedAndTheStaleAttemptsLateCompletionChangesNothing() {
    UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    StageRequest first = worker.next(job, CONTENT_INVERSION);
    worker.started(first);
    // No heartbeat: the 2 s lease runs out and the sweeper dispatches attempt 2.
    StageRequest second = worker.next(job, CONTENT_INVERSION);
    assertEquals(2, second.attempt());
    assertEquals(first.stageRunId(), second.stageRunId());

    worker.send(worker.succeeded(first));
    worker.succeed(worker.next(job, CONCEPT_INVERSION));
    sleep(Duration.ofMillis(800));
    StageRun content = run(job, CONTENT_INVERSION);
    assertEquals(2, content.attempt);
    assertEquals(StageRunStatus.DISPATCHED, content.status);
    assertEquals(1, content.retryCount);

    worker.succeed(second);
    worker.succeed(worker.next(job, FUSION));
    worker.succeed(worker.next(job, SCORING));
    assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
  }

  @Test
  void supersededAttemptThatStillReportsIsToldToStopOnceAndTheJobGoesOn() {
    UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    StageRequest first = worker.next(job, CONTENT_INVERSION);
    worker.started(first);
    // No heartbeat: the 2 s lease runs out and the sweeper dispatches attempt 2.
    StageRequest second = worker.next(job, CONTENT_INVERSION);
    assertEquals(2, second.attempt());

    // A worker only now reads attempt 1's request (or comes back from a freeze) and reports.
    worker.started(first);
    worker.send(StageEvent.Heartbeat.of(first.run(), "fake-worker"));
    worker.send(StageEvent.Progress.of(first.run(), 3, 10, 0.5));

    List<CancelRequest> stops = worker.cancels(job, Duration.ofSeconds(2));
    assertEquals(1, stops.size(), "one stop for the superseded attempt: " + stops);
    CancelRequest stop = stops.get(0);
    assertEquals(first.stageRunId(), stop.stageRunId());
    assertEquals(1, stop.attempt());
    assertEquals(fixture.tenant, stop.tenantId());
    StageRun content = run(job, CONTENT_INVERSION);
    assertEquals(2, content.attempt);
    assertEquals(JobStatus.RUNNING, awaitJob(job, j -> true).status, "the job goes on");

    worker.succeed(second);
    worker.succeed(worker.next(job, CONCEPT_INVERSION));
    worker.succeed(worker.next(job, FUSION));
    worker.succeed(worker.next(job, SCORING));
    assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
    assertTrue(
        worker.cancels(job, Duration.ZERO).stream().noneMatch(CancelRequest::wholeJob),
        "nothing cancelled the whole job");
  }

  @Test
  void duplicateDeliveriesProduceOneResult() {
    UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    worker.succeed(worker.next(job, CONTENT_INVERSION));
    worker.succeed(worker.next(job, CONCEPT_INVERSION));
    StageRequest fusion = worker.next(job, FUSION);
    worker.started(fusion);
    StageEvent.Succeeded done = worker.succeeded(fusion);
    worker.send(done);
    worker.send(done); // the same record delivered twice
    worker.send(worker.succeeded(fusion)); // a second worker ran the same attempt
    StageRequest scoring = worker.next(job, SCORING);
    worker.succeed(scoring);
    worker.send(worker.succeeded(scoring));

    assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
    List<StageRequest> more = worker.received(job, Duration.ofSeconds(1));
    assertEquals(List.of(), more, "no stage may be dispatched twice");
    assertEventLogIsGapFreeWithOneCompletion(job, JobStatus.SUCCEEDED);
  }

  @Test
  void oneBatchAppliesEachJobsReportsInOrderAndARedeliveredOneOnce() {
    UUID first = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    UUID second = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    List<StageEvent> batch = new ArrayList<>();
    for (UUID job : List.of(second, first)) {
      for (Stage stage : List.of(CONTENT_INVERSION, CONCEPT_INVERSION)) {
        StageRequest request = worker.next(job, stage);
        batch.add(StageEvent.Started.of(request.run(), "fake-worker", null));
        batch.add(worker.succeeded(request));
      }
    }
    batch.add(batch.get(1)); // a report delivered twice within one poll

    jobs.stageEvents(batch); // what one poll of vct.stage.events hands the orchestrator

    for (UUID job : List.of(first, second)) {
      // started and succeeded in one transaction: the log tells the state it left, succeeded
      List<StageRunStatus> content = stageChanges(job, CONTENT_INVERSION);
      assertEquals(StageRunStatus.SUCCEEDED, content.get(content.size() - 1));
      assertFalse(content.contains(StageRunStatus.RUNNING), "content inversion " + content);
      assertTrue(
          List.of(run(job, CONTENT_INVERSION), run(job, CONCEPT_INVERSION)).stream()
              .allMatch(r -> r.status == StageRunStatus.SUCCEEDED && r.attempt == 1));
      StageRequest fusion = worker.next(job, FUSION);
      assertEquals(1, fusion.attempt());
      worker.succeed(fusion);
      worker.succeed(worker.next(job, SCORING));
      assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
      assertEventLogIsGapFreeWithOneCompletion(job, JobStatus.SUCCEEDED);
    }
    assertEquals(List.of(), worker.received(first, Duration.ofSeconds(1)));
    assertEquals(List.of(), worker.received(second, Duration.ZERO));
  }

  @Test
  void retryableFailureBacksOffAndRetriesWithTheNextAttempt() {
    UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    StageRequest first = worker.next(job, CONCEPT_INVERSION);
    worker.started(first);
    worker.send(StageEvent.Failed.of(first.run(), "out_of_memory", "CUDA out of memory", true));
    StageRequest retry = worker.next(job, CONCEPT_INVERSION);
    assertEquals(2, retry.attempt());
    assertEquals(1, run(job, CONCEPT_INVERSION).retryCount);
    runToSuccess(job, retry);
  }

  @Test
  void failureAfterTheLastAttemptFailsTheJobWithTheStagesError() {
    UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    worker.succeed(worker.next(job, CONTENT_INVERSION));
    worker.succeed(worker.next(job, CONCEPT_INVERSION));
    // fusion has max-attempts=2 in the test configuration
    for (int attempt = 1; attempt <= 2; attempt++) {
      StageRequest fusion = worker.next(job, FUSION);
      assertEquals(attempt, fusion.attempt());
      worker.started(fusion);
      worker.send(StageEvent.Failed.of(fusion.run(), "interrupted", "node lost", true));
    }
    Job failed = awaitJob(job, j -> j.status.terminal());
    assertEquals(JobStatus.FAILED, failed.status);
    assertEquals("interrupted", failed.errorCode);
    assertEquals("node lost", failed.errorMessage);
    assertEventLogIsGapFreeWithOneCompletion(job, JobStatus.FAILED);
  }

  @Test
  void nonRetryableFailureFailsTheJobAndStopsTheOtherStage() {
    UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    StageRequest content = worker.next(job, CONTENT_INVERSION);
    StageRequest concept = worker.next(job, CONCEPT_INVERSION);
    worker.started(concept);
    worker.started(content);
    worker.send(
        StageEvent.Failed.of(content.run(), "bad_input", "the source is not an image", false));
    Job failed = awaitJob(job, j -> j.status.terminal());
    assertEquals(JobStatus.FAILED, failed.status);
    assertEquals("bad_input", failed.errorCode);
    assertEquals(StageRunStatus.CANCELLED, run(job, CONCEPT_INVERSION).status);
    assertTrue(worker.cancelSeen(job), "the worker running concept inversion is told to stop");
    assertEquals(0, run(job, CONTENT_INVERSION).retryCount);
  }

  @Test
  void cancelFlagCancelsARunningJobAndTellsTheWorkers() {
    UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    StageRequest content = worker.next(job, CONTENT_INVERSION);
    worker.started(content);
    QuarkusTransaction.requiringNew()
        .run(() -> Job.update("cancelRequested = true where id = ?1", job));
    Job cancelled = awaitJob(job, j -> j.status.terminal());
    assertEquals(JobStatus.CANCELLED, cancelled.status);
    assertTrue(worker.cancelSeen(job));
    // The worker confirms; the job stays cancelled, once.
    worker.send(StageEvent.Cancelled.of(content.run()));
    sleep(Duration.ofMillis(500));
    assertEventLogIsGapFreeWithOneCompletion(job, JobStatus.CANCELLED);
  }

  @Test
  void queuedJobWhoseSubmitMessageWasLostIsPlannedBySweeper() {
    UUID job = fixture.newJob(randomSha(), randomSha());
    StageRequest content = worker.next(job, CONTENT_INVERSION);
    assertNotNull(content);
    assertEquals(JobStatus.RUNNING, awaitJob(job, j -> j.status == JobStatus.RUNNING).status);
  }

  @Test
  void undecodableEventGoesToTheDeadLetterTopicAndTheNextOnesStillApply() {
    UUID job = fixture.submit(fixture.newJob(randomSha(), randomSha()));
    String marker = "not-json-" + UUID.randomUUID();
    worker.sendRaw(Topics.STAGE_EVENTS, job.toString(), marker);
    ConsumerRecord<String, String> dead =
        worker.deadLetter(marker).orElseThrow(() -> new AssertionError("not dead-lettered"));
    assertEquals(job.toString(), dead.key());
    assertEquals(Topics.STAGE_EVENTS, header(dead, "dead-letter-topic"));
    assertTrue(header(dead, "dead-letter-reason").contains("not a valid StageEvent event"));
    assertEquals(EventDecodingException.class.getName(), header(dead, "dead-letter-cause"));
    Integer.parseInt(header(dead, "dead-letter-partition"));
    Long.parseLong(header(dead, "dead-letter-offset"));
    runToSuccess(job);
  }

  private static String header(ConsumerRecord<String, String> record, String name) {
    Header header = record.headers().lastHeader(name);
    assertNotNull(header, "no header " + name);
    return new String(header.value(), StandardCharsets.UTF_8);
  }

  @Test
  void everyInputStopsOnANackInsteadOfDeadLetteringOrCommittingPastIt() {
    // Only poison reaches vct.dead-letter, sent by DeadLetters; a nacked valid event fails the
    // channel without a commit (SmallRye's KafkaFailStop), so the next start reads it again.
    assertEquals(
        "fail",
        config.getValue("mp.messaging.connector.smallrye-kafka.failure-strategy", String.class));
    for (String channel : List.of("job-submitted", "stage-events", "job-cancel")) {
      assertEquals(
          Optional.empty(),
          config.getOptionalValue(
              "mp.messaging.incoming." + channel + ".failure-strategy", String.class),
          channel + " overrides the failure strategy");
    }
  }

  private void runToSuccess(UUID job) {
    worker.succeed(worker.next(job, CONTENT_INVERSION));
    worker.succeed(worker.next(job, CONCEPT_INVERSION));
    worker.succeed(worker.next(job, FUSION));
    worker.succeed(worker.next(job, SCORING));
    assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
  }

  /** Finishes a job whose concept inversion is {@code concept}. */
  private void runToSuccess(UUID job, StageRequest concept) {
    worker.succeed(worker.next(job, CONTENT_INVERSION));
    worker.succeed(concept);
    worker.succeed(worker.next(job, FUSION));
    worker.succeed(worker.next(job, SCORING));
    assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
  }
}
