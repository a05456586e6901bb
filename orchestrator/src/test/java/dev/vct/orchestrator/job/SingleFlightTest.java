package dev.vct.orchestrator.job;

import static dev.vct.orchestrator.job.JobFixture.assertEventLogIsGapFreeWithOneCompletion;
import static dev.vct.orchestrator.job.JobFixture.awaitJob;
import static dev.vct.orchestrator.job.JobFixture.randomSha;
import static dev.vct.orchestrator.job.JobFixture.run;
import static dev.vct.orchestrator.job.JobFixture.sleep;
import static dev.vct.storage.job.Stage.CONCEPT_INVERSION;
import static dev.vct.storage.job.Stage.CONTENT_INVERSION;
import static dev.vct.storage.job.Stage.FUSION;
import static dev.vct.storage.job.Stage.SCORING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.local.test.PostgresTestResource;
import dev.vct.local.test.S3TestResource;
import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Single flight against real PostgreSQL, Kafka and S3, the test playing the workers: jobs whose
 * inversion is identical to one in flight wait for it and take its output, take it over when it
 * fails (once), and keep it running when its own job is cancelled.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = S3TestResource.class, restrictToAnnotatedClass = false)
class SingleFlightTest {
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
  void jobsWithOneReferenceRunOneConceptInversionAndAllTakeItsEmbedding() {
    String reference = randomSha();
    List<UUID> all = submitAll(3, reference);
    StageRequest shared = worker.next(all.get(0), CONCEPT_INVERSION);
    StageRun owner = run(all.get(0), CONCEPT_INVERSION);
    for (UUID waiter : all.subList(1, 3)) {
      StageRun waiting = run(waiter, CONCEPT_INVERSION);
      assertEquals(StageRunStatus.WAITING, waiting.status);
      assertEquals(owner.id, waiting.waitingFor);
      assertEquals(owner.cacheKey, waiting.cacheKey);
      assertEquals(0, waiting.attempt);
    }
    for (UUID job : all) {
      worker.succeed(worker.next(job, CONTENT_INVERSION));
    }
    worker.succeed(shared);

    String embedding = shared.outputKeys().get(BlobRole.CONCEPT_EMBEDDING);
    for (UUID job : all) {
      StageRequest fusion = worker.next(job, FUSION);
      assertEquals(embedding, fusion.inputKeys().get(BlobRole.CONCEPT_EMBEDDING));
      worker.succeed(fusion);
      worker.succeed(worker.next(job, SCORING));
      assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
      assertEventLogIsGapFreeWithOneCompletion(job, JobStatus.SUCCEEDED);
    }
    for (UUID waiter : all.subList(1, 3)) {
      StageRun concept = run(waiter, CONCEPT_INVERSION);
      assertEquals(StageRunStatus.SKIPPED, concept.status);
      assertEquals(embedding, concept.outputKey);
      assertEquals(0, concept.attempt, "never dispatched");
      assertTrue(
          concept.skipReason.contains("of the identical concept_inversion it waited for"),
          concept.skipReason);
      assertTrue(concept.skipReason.contains(owner.id.toString()), concept.skipReason);
    }
    assertEquals(1, conceptRequests(all), "one concept inversion for three jobs");
  }

  @Test
  void identicalContentInversionsShareOneRunToo() {
    String source = randomSha();
    UUID first = fixture.submit(fixture.newJob(source, randomSha()));
    StageRequest content = worker.next(first, CONTENT_INVERSION);
    UUID second = fixture.submit(fixture.newJob(source, randomSha()));
    awaitStatus(second, CONTENT_INVERSION, StageRunStatus.WAITING);
    worker.succeed(content);
    worker.succeed(worker.next(first, CONCEPT_INVERSION));
    worker.succeed(worker.next(second, CONCEPT_INVERSION));
    for (UUID job : List.of(first, second)) {
      StageRequest fusion = worker.next(job, FUSION);
      assertEquals(
          content.outputKeys().get(BlobRole.CONTENT_EMBEDDING),
          fusion.inputKeys().get(BlobRole.CONTENT_EMBEDDING));
      worker.succeed(fusion);
      worker.succeed(worker.next(job, SCORING));
      assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
    }
    assertTrue(
        worker.received(second, Duration.ZERO).stream()
            .noneMatch(r -> r.stage() == CONTENT_INVERSION));
  }

  @Test
  void concurrentPlansOfOneReferenceElectExactlyOneOwner() throws Exception {
    String reference = randomSha();
    int n = 8;
    List<UUID> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(fixture.newJob(randomSha(), reference));
    }
    // each job planned in its own transaction, all at once, as several consumers or replicas do
    CyclicBarrier start = new CyclicBarrier(n);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<?>> plans = new ArrayList<>();
      for (UUID job : all) {
        plans.add(
            pool.submit(
                () -> {
                  start.await();
                  jobs.submitted(List.of(JobSubmitted.of(job, fixture.tenant)));
                  return null;
                }));
      }
      for (Future<?> plan : plans) {
        plan.get();
      }
    } finally {
      pool.shutdownNow();
    }
    List<StageRun> concepts = all.stream().map(job -> run(job, CONCEPT_INVERSION)).toList();
    List<StageRun> owners =
        concepts.stream().filter(r -> r.status != StageRunStatus.WAITING).toList();
    assertEquals(1, owners.size(), "one owner among " + concepts.stream().map(r -> r.status));
    assertTrue(
        concepts.stream()
            .filter(r -> r.status == StageRunStatus.WAITING)
            .allMatch(r -> r.waitingFor.equals(owners.get(0).id)));
    StageRequest shared = worker.next(owners.get(0).jobId, CONCEPT_INVERSION);
    worker.succeed(shared);
    for (UUID job : all) {
      awaitStatus(
          job,
          CONCEPT_INVERSION,
          job.equals(shared.jobId()) ? StageRunStatus.SUCCEEDED : StageRunStatus.SKIPPED);
    }
    assertEquals(1, conceptRequests(all));
    cancelAll(all);
  }

  @Test
  void whenTheSharedRunFailsTheFirstWaiterRerunsItOnceAndTheOthersWaitForThat() {
    String reference = randomSha();
    List<UUID> all = submitAll(3, reference);
    StageRequest shared = worker.next(all.get(0), CONCEPT_INVERSION);
    worker.started(shared);
    worker.send(StageEvent.Failed.of(shared.run(), "bad_input", "the reference is broken", false));
    assertEquals(JobStatus.FAILED, awaitJob(all.get(0), j -> j.status.terminal()).status);

    // the first waiter runs it itself; the last one now waits for that run
    StageRequest rerun = worker.next(all.get(1), CONCEPT_INVERSION);
    assertEquals(1, rerun.attempt());
    StageRun rerunRun = run(all.get(1), CONCEPT_INVERSION);
    assertTrue(rerunRun.sharedRerun);
    awaitWaitingFor(all.get(2), rerunRun.id);
    worker.succeed(rerun);
    for (UUID job : all.subList(1, 3)) {
      finishTakingConcept(job, rerun.outputKeys().get(BlobRole.CONCEPT_EMBEDDING));
    }
    assertEquals(StageRunStatus.SKIPPED, run(all.get(2), CONCEPT_INVERSION).status);
    assertEquals(2, conceptRequests(all), "the failed run and one rerun");
  }

  @Test
  void aRerunThatFailsAgainFailsTheWaitersWithItsError() {
    List<UUID> all = submitAll(3, randomSha());
    StageRequest shared = worker.next(all.get(0), CONCEPT_INVERSION);
    worker.started(shared);
    worker.send(StageEvent.Failed.of(shared.run(), "bad_input", "the reference is broken", false));
    StageRequest rerun = worker.next(all.get(1), CONCEPT_INVERSION);
    worker.started(rerun);
    worker.send(StageEvent.Failed.of(rerun.run(), "bad_input", "still broken", false));

    Job second = awaitJob(all.get(1), j -> j.status.terminal());
    assertEquals(JobStatus.FAILED, second.status);
    assertEquals("still broken", second.errorMessage);
    Job third = awaitJob(all.get(2), j -> j.status.terminal());
    assertEquals(JobStatus.FAILED, third.status);
    assertEquals("bad_input", third.errorCode);
    assertEquals(
        "the identical concept_inversion this stage waited for failed again after a rerun:"
            + " still broken",
        third.errorMessage);
    StageRun waited = run(all.get(2), CONCEPT_INVERSION);
    assertEquals(StageRunStatus.FAILED, waited.status);
    assertEquals(0, waited.attempt, "never ran itself");
    assertEventLogIsGapFreeWithOneCompletion(all.get(2), JobStatus.FAILED);
    assertEquals(2, conceptRequests(all), "no third run");
  }

  @Test
  void cancellingTheOwnersJobKeepsTheSharedRunGoingForTheWaiters() {
    List<UUID> all = submitAll(2, randomSha());
    UUID owner = all.get(0);
    UUID waiter = all.get(1);
    StageRequest shared = worker.next(owner, CONCEPT_INVERSION);
    StageRequest ownersContent = worker.next(owner, CONTENT_INVERSION);
    worker.started(shared);
    worker.started(ownersContent);
    awaitStatus(owner, CONCEPT_INVERSION, StageRunStatus.RUNNING);

    jobs.cancel(owner);

    assertEquals(JobStatus.CANCELLED, awaitJob(owner, j -> true).status);
    assertEquals(StageRunStatus.RUNNING, run(owner, CONCEPT_INVERSION).status, "kept running");
    assertEquals(StageRunStatus.CANCELLED, run(owner, CONTENT_INVERSION).status);
    List<CancelRequest> cancels = worker.cancels(owner, Duration.ofSeconds(1));
    assertEquals(1, cancels.size(), "only the content inversion is stopped: " + cancels);
    assertFalse(cancels.get(0).wholeJob());
    assertEquals(ownersContent.stageRunId(), cancels.get(0).stageRunId());

    // the worker goes on reporting on the shared run, past its lease, and finishes it
    for (int step = 1; step <= 4; step++) {
      worker.send(StageEvent.Progress.of(shared.run(), step, 4, 0.1));
      sleep(Duration.ofMillis(700));
    }
    assertEquals(StageRunStatus.RUNNING, run(owner, CONCEPT_INVERSION).status, "lease renewed");
    assertEquals(StageRunStatus.WAITING, run(waiter, CONCEPT_INVERSION).status);
    worker.send(worker.succeeded(shared));

    finishTakingConcept(waiter, shared.outputKeys().get(BlobRole.CONCEPT_EMBEDDING));
    StageRun ownersConcept = run(owner, CONCEPT_INVERSION);
    assertEquals(StageRunStatus.SUCCEEDED, ownersConcept.status);
    assertEquals(JobStatus.CANCELLED, awaitJob(owner, j -> true).status, "still cancelled");
    // the cancelled job's log ended with its completion; the kept run added nothing after it
    assertEventLogIsGapFreeWithOneCompletion(owner, JobStatus.CANCELLED);
    assertEquals(1, conceptRequests(all));
  }

  @Test
  void aKeptRunThatFailsAfterItsJobWasCancelledIsRerunByTheFirstWaiter() {
    List<UUID> all = submitAll(3, randomSha());
    StageRequest shared = worker.next(all.get(0), CONCEPT_INVERSION);
    worker.started(shared);
    awaitStatus(all.get(0), CONCEPT_INVERSION, StageRunStatus.RUNNING);
    jobs.cancel(all.get(0));
    // retryable, but its job ended: no retry of its own, the first waiter takes over
    worker.send(StageEvent.Failed.of(shared.run(), "out_of_memory", "CUDA out of memory", true));

    StageRequest rerun = worker.next(all.get(1), CONCEPT_INVERSION);
    assertEquals(StageRunStatus.FAILED, run(all.get(0), CONCEPT_INVERSION).status);
    awaitWaitingFor(all.get(2), run(all.get(1), CONCEPT_INVERSION).id);
    worker.succeed(rerun);
    awaitStatus(all.get(2), CONCEPT_INVERSION, StageRunStatus.SKIPPED);
    assertEquals(JobStatus.CANCELLED, awaitJob(all.get(0), j -> true).status);
    assertEquals(2, conceptRequests(all));
    cancelAll(all);
  }

  @Test
  void cancellingAWaitingJobLeavesTheSharedRunAlone() {
    List<UUID> all = submitAll(2, randomSha());
    StageRequest shared = worker.next(all.get(0), CONCEPT_INVERSION);
    worker.started(shared);
    awaitStatus(all.get(1), CONCEPT_INVERSION, StageRunStatus.WAITING);
    worker.next(all.get(1), CONTENT_INVERSION);

    jobs.cancel(all.get(1));

    assertEquals(StageRunStatus.CANCELLED, run(all.get(1), CONCEPT_INVERSION).status);
    assertTrue(worker.cancelSeen(all.get(1)), "its content inversion is stopped");
    assertEquals(List.of(), worker.cancels(all.get(0), Duration.ofMillis(500)));
    assertEquals(StageRunStatus.RUNNING, run(all.get(0), CONCEPT_INVERSION).status);
    assertEquals(JobStatus.RUNNING, awaitJob(all.get(0), j -> true).status);
    cancelAll(all);
  }

  /**
   * Runs the job's content inversion, fusion and scoring to success; its fusion must take {@code
   * conceptEmbedding}.
   */
  private void finishTakingConcept(UUID job, String conceptEmbedding) {
    worker.succeed(worker.next(job, CONTENT_INVERSION));
    StageRequest fusion = worker.next(job, FUSION);
    assertEquals(conceptEmbedding, fusion.inputKeys().get(BlobRole.CONCEPT_EMBEDDING));
    worker.succeed(fusion);
    worker.succeed(worker.next(job, SCORING));
    assertEquals(JobStatus.SUCCEEDED, awaitJob(job, j -> j.status.terminal()).status);
  }

  /** Submits {@code n} jobs with one reference and fresh sources, all at once (one batch). */
  private List<UUID> submitAll(int n, String reference) {
    List<UUID> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(fixture.newJob(randomSha(), reference));
    }
    jobs.submitted(all.stream().map(job -> JobSubmitted.of(job, fixture.tenant)).toList());
    return all;
  }

  /**
   * How many concept inversion requests were sent for {@code all}: each raised its run's attempt by
   * one. None may be left that the test did not take.
   */
  private long conceptRequests(List<UUID> all) {
    worker.pending(Duration.ofMillis(300));
    assertTrue(
        all.stream()
            .flatMap(job -> worker.received(job, Duration.ZERO).stream())
            .noneMatch(r -> r.stage() == CONCEPT_INVERSION),
        "a concept request the test did not expect");
    return all.stream().mapToLong(job -> run(job, CONCEPT_INVERSION).attempt).sum();
  }

  private void cancelAll(List<UUID> all) {
    all.forEach(jobs::cancel);
  }

  private static void awaitStatus(UUID job, Stage stage, StageRunStatus status) {
    await(
        () -> status(job, stage) == status,
        () -> stage.code() + " of " + job + " is " + status(job, stage) + ", not " + status);
  }

  /** The stage run's status; null while the job is not planned yet. */
  private static StageRunStatus status(UUID job, Stage stage) {
    return QuarkusTransaction.requiringNew()
        .call(() -> StageRun.find(job, stage).map(run -> run.status).orElse(null));
  }

  private static void awaitWaitingFor(UUID job, UUID owner) {
    await(
        () -> {
          StageRun waiting = run(job, CONCEPT_INVERSION);
          return waiting.status == StageRunStatus.WAITING && owner.equals(waiting.waitingFor);
        },
        () -> "concept_inversion of " + job + " does not wait for " + owner);
  }

  private static void await(BooleanSupplier condition, Supplier<String> what) {
    long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < until) {
      if (condition.getAsBoolean()) {
        return;
      }
      sleep(Duration.ofMillis(50));
    }
    fail(what.get());
  }
}
