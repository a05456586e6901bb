package dev.vct.orchestrator.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.local.test.PostgresTestResource;
import dev.vct.local.test.S3TestResource;
import dev.vct.orchestrator.job.FakeWorker;
import dev.vct.storage.blob.Sha256;
import dev.vct.storage.dispatch.DispatchQueue;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import dev.vct.storage.tenant.Tenant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher against real PostgreSQL and Kafka, with one worker (the test) serving every stage
 * and one slot: which request it gets next, and the queue places the API shows meanwhile.
 */
@QuarkusTest
@TestProfile(DispatchOrderTest.OneSlot.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = S3TestResource.class, restrictToAnnotatedClass = false)
class DispatchOrderTest {

  /** One stage thread per pool, one request per thread: every pool has one slot. */
  public static class OneSlot implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "vct.orchestrator.dispatch.threads", "1",
          "vct.orchestrator.dispatch.requests-per-thread", "1",
          "vct.orchestrator.dispatch.min-slots", "1",
          "vct.orchestrator.dispatch.pool-refresh", "200ms");
    }
  }

  @Inject WorkerPools pools;
  @Inject DispatchRound round;

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  private FakeWorker worker;

  @BeforeEach
  void setUp() {
    // Nothing of earlier tests holds a slot: their unfinished jobs end here. The orchestrator may
    // still be reporting on them, so this takes the locks in its order (jobs by id, then their
    // runs): ending them runs after its transactions instead of deadlocking with them.
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              StageRun.getEntityManager()
                  .createNativeQuery(
                      "select id from jobs where status in ('queued', 'running') order by id"
                          + " for update")
                  .getResultList();
              StageRun.getEntityManager()
                  .createNativeQuery(
                      "update stage_runs set status = 'cancelled' where status in"
                          + " ('pending', 'waiting', 'queued', 'dispatched', 'running')")
                  .executeUpdate();
              StageRun.getEntityManager()
                  .createNativeQuery(
                      "update jobs set status = 'cancelled' where status in ('queued', 'running')")
                  .executeUpdate();
            });
    worker = new FakeWorker(bootstrapServers);
    // the test's consumer group reads every stage: one pool
    await(() -> pools.pools().size() == 1, "the orchestrator sees one pool of every stage");
  }

  @AfterEach
  void tearDown() {
    worker.close();
    // Gone from the pools before the next test's worker joins: else the next setUp may see this
    // worker's pool, and the stages meanwhile become pools of their own with a slot each.
    await(
        () -> pools.pools().size() == Stage.values().length,
        "the closed worker's group no longer makes one pool of every stage");
  }

  @Test
  void tenantsTakeTurnsAndPriorityOrdersOnlyATenantsOwnJobs() {
    List<UUID> tenants = Stream.generate(DispatchOrderTest::newTenant).limit(3).sorted().toList();
    UUID a = tenants.get(0);
    UUID b = tenants.get(1);
    UUID c = tenants.get(2);
    // c's first request takes the only slot; everything after it waits in the queue
    UUID blocker = submit(newJob(c, 0));
    StageRequest first = worker.nextAny();
    assertEquals(blocker, first.jobId());
    UUID a1 = submit(newJob(a, 0));
    UUID a2 = submit(newJob(a, 0));
    UUID a3 = submit(newJob(a, 5));
    UUID b1 = submit(newJob(b, -3));
    for (UUID job : List.of(a1, a2, a3, b1)) {
      await(() -> queued(job) == 2, "both inversions of " + job + " queued");
    }
    assertEquals(List.of(), worker.received(a1, Duration.ofMillis(300)), "no free slot");

    // In flight: c 1. Waiting: a 6, b 2, c 1; c was served last, so the sweep is a, b, then c.
    DispatchQueue.Place bFirst = place(b, b1, Stage.CONCEPT_INVERSION);
    assertEquals(new DispatchQueue.Place(2, 2), bFirst, "after a's first, behind c's running one");
    DispatchQueue.Place bSecond = place(b, b1, Stage.CONTENT_INVERSION);
    // level 0: a, b; level 1: c (1 in flight), a, then b
    assertEquals(new DispatchQueue.Place(5, 5), bSecond);
    DispatchQueue.Place aTop = place(a, a3, Stage.CONCEPT_INVERSION);
    assertEquals(new DispatchQueue.Place(1, 1), aTop, "a's priority 5 job goes first");

    worker.succeed(first);
    List<UUID> order = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      StageRequest next = worker.nextAny();
      assertEquals(0, worker.pending(Duration.ofMillis(200)), "one request at a time");
      order.add(next.jobId());
      worker.succeed(next);
    }
    // a's priority job (both inversions), b's job, and c's job go round by round; a's other jobs
    // wait although a submitted them first
    assertEquals(List.of(a3, b1, blocker, a3, b1, blocker), order);
  }

  @Test
  void aRequestOfAJobThatEndedFreesItsSlot() {
    UUID tenant = newTenant();
    UUID cancelled = submit(newJob(tenant, 0));
    StageRequest held = worker.nextAny();
    assertEquals(cancelled, held.jobId());
    UUID next = submit(newJob(tenant, 0));
    await(() -> queued(next) == 2, "the next job's inversions queued");
    worker.started(held);
    QuarkusTransaction.requiringNew()
        .run(
            () ->
                StageRun.getEntityManager()
                    .createNativeQuery("update jobs set cancel_requested = true where id = ?1")
                    .setParameter(1, cancelled)
                    .executeUpdate());
    // the sweeper cancels the job; its running stage leaves flight and the next job goes out
    // (the cancelled job's other inversion waited in the queue and was never sent)
    assertEquals(next, worker.nextAny().jobId());
  }

  @Test
  void aRoundThatNeedNotWaitLeavesAPoolThisReplicaHoldsToTheDispatcherThread() throws Exception {
    WorkerPools.Pool pool = pools.pools().get(0);
    int slots = pools.slots(pool);
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService holder = Executors.newSingleThreadExecutor();
    try {
      Future<?> held =
          holder.submit(
              () ->
                  QuarkusTransaction.requiringNew()
                      .run(
                          () -> {
                            // other slots than recorded: the round locks the pool's rows
                            round.dispatch(pool, slots + 1, true);
                            holding.countDown();
                            try {
                              release.await(15, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                            QuarkusTransaction.setRollbackOnly();
                          }));
      assertTrue(holding.await(15, TimeUnit.SECONDS), "the holder locked the pool");
      assertEquals(
          new DispatchRound.Result(0, false),
          QuarkusTransaction.requiringNew().call(() -> round.dispatch(pool, slots, false)),
          "busy: left to the dispatcher thread, not settled (its commit wakes the thread)");
      release.countDown();
      assertThrows(ExecutionException.class, () -> held.get(15, TimeUnit.SECONDS), "rolled back");
    } finally {
      release.countDown();
      holder.shutdownNow();
    }
    assertEquals(
        new DispatchRound.Result(0, true),
        QuarkusTransaction.requiringNew().call(() -> round.dispatch(pool, slots, false)),
        "the holder, rolled back, no longer counts: the round looks and finds nothing waiting");
  }

  private static long queued(UUID job) {
    return QuarkusTransaction.requiringNew()
        .call(() -> StageRun.count("jobId = ?1 and status = ?2", job, StageRunStatus.QUEUED));
  }

  private static DispatchQueue.Place place(UUID tenant, UUID job, Stage stage) {
    Optional<DispatchQueue.Place> place =
        QuarkusTransaction.requiringNew()
            .call(() -> DispatchQueue.place(tenant, StageRun.find(job, stage).orElseThrow()));
    return place.orElseGet(() -> fail(stage.code() + " of " + job + " is not queued"));
  }

  private static UUID newTenant() {
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              Tenant t = Tenant.create("tenant-" + UUID.randomUUID(), 100, 1000);
              t.persist();
              return t.id;
            });
  }

  private static UUID newJob(UUID tenant, int priority) {
    UUID id = UUID.randomUUID();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Job job =
                  Job.queued(
                      id,
                      tenant,
                      Map.of("priority", priority),
                      42L,
                      "tiny-sd",
                      "inputs/" + id + "/source.png",
                      Sha256.hex(UUID.randomUUID().toString()),
                      "inputs/" + id + "/reference.png",
                      Sha256.hex(UUID.randomUUID().toString()));
              job.priority = priority;
              job.persist();
            });
    return id;
  }

  private UUID submit(UUID job) {
    UUID tenant = QuarkusTransaction.requiringNew().call(() -> Job.<Job>findById(job).tenantId);
    worker.sendRaw(
        Topics.JOB_SUBMITTED,
        job.toString(),
        EventJson.encodeToString(JobSubmitted.of(job, tenant)));
    return job;
  }

  private static void await(BooleanSupplier condition, String what) {
    long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        fail("not within 15 s: " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      }
    }
  }
}
