package dev.vct.storage.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.local.test.PostgresTestResource;
import dev.vct.local.test.S3TestResource;
import dev.vct.storage.blob.BlobKeys;
import dev.vct.storage.embedding.Embedding;
import dev.vct.storage.embedding.EmbeddingKind;
import dev.vct.storage.inbox.ProcessedEvent;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.PageCursor;
import dev.vct.storage.job.Scores;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import dev.vct.storage.tenant.ApiKey;
import dev.vct.storage.tenant.Tenant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.persistence.EntityManager;
import jakarta.persistence.OptimisticLockException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import java.util.UUID;
import java.util.function.Supplier;
import org.hibernate.StaleStateException;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.exception.ConstraintViolationException;
import org.hibernate.metamodel.mapping.AttributeMetadata;
import org.hibernate.persister.entity.EntityPersister;
import org.junit.jupiter.api.Test;

/**
 * The entities against the Flyway schema on a real PostgreSQL. Booting already proves that the
 * migrations apply and that Hibernate's validation finds every mapped column with its type.
 */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(KafkaTestResource.class)
@WithTestResource(S3TestResource.class)
class PersistenceTest {

  private static final String SOURCE_SHA = "1a".repeat(32);
  private static final String REFERENCE_SHA = "2b".repeat(32);

  private static <T> T tx(Supplier<T> work) {
    return QuarkusTransaction.requiringNew().call(work::get);
  }

  private static void txRun(Runnable work) {
    QuarkusTransaction.requiringNew().run(work);
  }

  private static UUID newTenant() {
    return tx(
        () -> {
          Tenant tenant = Tenant.create("tenant-" + UUID.randomUUID(), 4, 120);
          tenant.persist();
          return tenant.id;
        });
  }

  private static Job newJob(UUID tenantId) {
    UUID id = UUID.randomUUID();
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("steps", 50);
    parameters.put("guidance_scale", 7.5);
    parameters.put("prompt", "a photo");
    return Job.queued(
        id,
        tenantId,
        parameters,
        1234L,
        "sd-1.5",
        BlobKeys.source(id, "png"),
        SOURCE_SHA,
        BlobKeys.reference(id, "png"),
        REFERENCE_SHA);
  }

  private static UUID persistJob(Job job) {
    txRun(job::persist);
    return job.id;
  }

  /** Runs {@code work} in its own transaction and expects the named unique constraint to fail. */
  private static void assertViolates(String constraint, Runnable work) {
    Exception e = assertThrows(Exception.class, () -> txRun(work));
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof ConstraintViolationException violation) {
        assertEquals(constraint, violation.getConstraintName(), violation.getMessage());
        return;
      }
    }
    throw new AssertionError("expected a violation of " + constraint + ", got " + e, e);
  }

  @Test
  void migrationsCreateTheTablesAndTheIndexesTheServicesQueryBy() {
    @SuppressWarnings("unchecked")
    List<String> indexes =
        tx(
            () ->
                Job.getEntityManager()
                    .createNativeQuery(
                        "select indexname from pg_indexes where schemaname = current_schema()")
                    .getResultList());

    assertTrue(
        indexes.containsAll(
            List.of(
                "jobs_tenant_created_idx",
                "jobs_tenant_status_idx",
                "jobs_idempotency_key_uq",
                "stage_runs_lease_idx",
                "stage_runs_next_attempt_idx",
                "stage_runs_job_stage_uq",
                "embeddings_lookup_uq",
                "api_keys_key_hash_key",
                "processed_events_pkey")),
        indexes.toString());
  }

  /** ANALYZE skips the event payloads: nothing is planned by them, and measuring them is costly. */
  @Test
  void eventPayloadsHaveNoPlannerStatistics() {
    @SuppressWarnings("unchecked")
    List<String> skipped =
        tx(
            () ->
                Job.getEntityManager()
                    .createNativeQuery(
                        "select c.relname || '.' || a.attname from pg_attribute a"
                            + " join pg_class c on c.oid = a.attrelid"
                            + " join pg_namespace n on n.oid = c.relnamespace"
                            + " where n.nspname = current_schema() and a.attstattarget = 0"
                            + " order by 1")
                    .getResultList());
    assertEquals(
        List.of("job_events.payload", "outbox.payload", "webhook_deliveries.payload"), skipped);
  }

  @Test
  void tenantAndApiKeyRoundTripAndOnlyTheKeyHashIsStored() {
    String rawKey = "vct_" + UUID.randomUUID().toString().replace("-", "");
    Tenant created = Tenant.create("acme-" + UUID.randomUUID(), 3, 600);
    ApiKey key = ApiKey.of(created.id, rawKey, true);
    txRun(
        () -> {
          created.persist();
          key.persist();
        });

    Tenant tenant = tx(() -> Tenant.<Tenant>findById(created.id));
    ApiKey found = tx(() -> ApiKey.findActive(rawKey).orElseThrow());
    String storedHash =
        tx(
            () ->
                (String)
                    ApiKey.getEntityManager()
                        .createNativeQuery("select key_hash from api_keys where id = ?1")
                        .setParameter(1, key.id)
                        .getSingleResult());

    assertEquals(created.name, tenant.name);
    assertEquals(3, tenant.maxConcurrentJobs);
    assertEquals(600, tenant.requestsPerMinute);
    assertEquals(created.createdAt, tenant.createdAt);
    assertEquals(created.id, tx(() -> Tenant.findByName(created.name).orElseThrow().id));
    assertEquals(key.id, found.id);
    assertEquals(created.id, found.tenantId);
    assertTrue(found.admin);
    assertEquals(rawKey.substring(0, ApiKey.PREFIX_LENGTH), found.prefix);
    assertEquals(ApiKey.hash(rawKey), storedHash);
    assertNotEquals(rawKey, storedHash);
  }

  @Test
  void revokedKeysAreNotFound() {
    UUID tenant = newTenant();
    String rawKey = "vct_" + UUID.randomUUID().toString().replace("-", "");
    ApiKey key = ApiKey.of(tenant, rawKey, false);
    txRun(key::persist);

    txRun(() -> ApiKey.<ApiKey>findById(key.id).revokedAt = Clock.now());

    assertTrue(tx(() -> ApiKey.findActive(rawKey)).isEmpty());
    assertTrue(tx(() -> ApiKey.listForTenant(tenant).get(0).revoked()));
  }

  @Test
  void jobRoundTripsEveryColumn() {
    UUID tenant = newTenant();
    Job job = newJob(tenant);
    job.idempotencyKey = "order-17";
    job.requestHash = "c3".repeat(32);
    persistJob(job);
    Instant started = Clock.now();

    txRun(
        () -> {
          Job stored = Job.findById(job.id);
          stored.status = JobStatus.SUCCEEDED;
          stored.resultKey = BlobKeys.result(job.id);
          stored.scores = new Scores(0.125, 21.5);
          stored.errorCode = "none";
          stored.errorMessage = "kept for the test";
          stored.cancelRequested = true;
          stored.startedAt = started;
          stored.finishedAt = started.plusSeconds(90);
        });
    Job read = tx(() -> Job.findForTenant(tenant, job.id).orElseThrow());

    assertEquals(tenant, read.tenantId);
    assertEquals(JobStatus.SUCCEEDED, read.status);
    assertEquals(Map.of("steps", 50, "guidance_scale", 7.5, "prompt", "a photo"), read.parameters);
    assertEquals(1234L, read.seed);
    assertEquals("sd-1.5", read.modelId);
    assertEquals("order-17", read.idempotencyKey);
    assertEquals("c3".repeat(32), read.requestHash);
    assertEquals(BlobKeys.source(job.id, "png"), read.sourceKey);
    assertEquals(SOURCE_SHA, read.sourceSha256);
    assertEquals(BlobKeys.reference(job.id, "png"), read.referenceKey);
    assertEquals(REFERENCE_SHA, read.referenceSha256);
    assertEquals(BlobKeys.result(job.id), read.resultKey);
    assertEquals(new Scores(0.125, 21.5), read.scores);
    assertEquals("none", read.errorCode);
    assertEquals("kept for the test", read.errorMessage);
    assertTrue(read.cancelRequested);
    assertEquals(job.createdAt, read.createdAt);
    assertEquals(started, read.startedAt);
    assertEquals(started.plusSeconds(90), read.finishedAt);
    assertEquals(1, read.version);
    String statusText =
        tx(
            () ->
                (String)
                    Job.getEntityManager()
                        .createNativeQuery("select status from jobs where id = ?1")
                        .setParameter(1, job.id)
                        .getSingleResult());
    assertEquals("succeeded", statusText);
  }

  /**
   * Instants (timestamptz columns) round-trip to the microsecond, as UTC, whatever the JVM's zone,
   * through entities and query parameters alike.
   */
  @Test
  void instantsRoundTripToTheMicrosecondAsUtc() {
    // the night a zone east of UTC moves its clocks: a zone-dependent binding would shift it
    Instant started = Instant.parse("2026-03-29T01:30:00.123456Z");
    TimeZone zone = TimeZone.getDefault();
    TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));
    try {
      UUID tenant = newTenant();
      Job job = newJob(tenant);
      job.startedAt = started;
      persistJob(job);

      assertEquals(started, tx(() -> Job.<Job>findById(job.id).startedAt));
      Object[] stored =
          tx(
              () ->
                  (Object[])
                      Job.getEntityManager()
                          .createNativeQuery(
                              "select to_char(started_at at time zone 'UTC',"
                                  + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), started_at = ?2 from jobs"
                                  + " where id = ?1")
                          .setParameter(1, job.id)
                          .setParameter(2, started)
                          .getSingleResult());
      assertEquals("2026-03-29T01:30:00.123456", stored[0]);
      assertEquals(true, stored[1]);
    } finally {
      TimeZone.setDefault(zone);
    }
  }

  @Test
  void jobParametersAreNeverRewrittenAndScoresAreComparedByValue() {
    EntityPersister jobs =
        Job.getEntityManager()
            .getEntityManagerFactory()
            .unwrap(SessionFactoryImplementor.class)
            .getMappingMetamodel()
            .getEntityDescriptor(Job.class);
    AttributeMetadata parameters = jobs.findAttributeMapping("parameters").getAttributeMetadata();
    AttributeMetadata scores = jobs.findAttributeMapping("scores").getAttributeMetadata();
    assertFalse(parameters.getMutabilityPlan().isMutable(), "no JSON copy of the parameters");
    assertFalse(parameters.isUpdatable(), "the parameters are never part of an update");
    assertFalse(parameters.isIncludedInDirtyChecking(), "nor compared on a flush");
    assertFalse(scores.getMutabilityPlan().isMutable(), "no JSON copy of the scores");
    assertTrue(scores.isUpdatable(), "the scores are set when the job succeeds");

    Job job = newJob(newTenant());
    persistJob(job);
    txRun(
        () -> {
          Job stored = Job.findById(job.id);
          stored.parameters = Map.of("steps", 1);
          stored.status = JobStatus.RUNNING;
          stored.scores = new Scores(0.5, 30.0);
        });
    txRun(
        () -> {
          Job stored = Job.findById(job.id);
          stored.scores = new Scores(0.5, 30.0); // equal: no update
        });
    Job read = tx(() -> Job.findById(job.id));
    assertEquals(JobStatus.RUNNING, read.status);
    assertEquals(new Scores(0.5, 30.0), read.scores);
    assertEquals(Map.of("steps", 50, "guidance_scale", 7.5, "prompt", "a photo"), read.parameters);
    assertEquals(1, read.version, "one update: the equal scores changed nothing");

    txRun(
        () -> {
          Job stored = Job.findById(job.id);
          stored.scores = new Scores(0.25, 30.0);
        });
    Job rescored = tx(() -> Job.findById(job.id));
    assertEquals(new Scores(0.25, 30.0), rescored.scores);
    assertEquals(2, rescored.version);
  }

  @Test
  void duplicateIdempotencyKeyOfOneTenantIsRejected() {
    UUID tenant = newTenant();
    Job first = newJob(tenant);
    first.idempotencyKey = "same-key";
    first.requestHash = "d4".repeat(32);
    persistJob(first);
    Job second = newJob(tenant);
    second.idempotencyKey = "same-key";
    second.requestHash = "d4".repeat(32);

    assertViolates("jobs_idempotency_key_uq", second::persist);

    assertEquals(first.id, tx(() -> Job.findByIdempotencyKey(tenant, "same-key").orElseThrow().id));
  }

  @Test
  void sameIdempotencyKeyOfAnotherTenantIsAccepted() {
    Job first = newJob(newTenant());
    first.idempotencyKey = "shared";
    first.requestHash = "e5".repeat(32);
    Job second = newJob(newTenant());
    second.idempotencyKey = "shared";
    second.requestHash = "e5".repeat(32);

    persistJob(first);
    persistJob(second);

    assertEquals(second.id, tx(() -> Job.findByIdempotencyKey(second.tenantId, "shared")).get().id);
  }

  @Test
  void findForTenantDoesNotSeeAnotherTenantsJob() {
    UUID owner = newTenant();
    UUID other = newTenant();
    UUID job = persistJob(newJob(owner));

    assertTrue(tx(() -> Job.findForTenant(owner, job)).isPresent());
    assertTrue(tx(() -> Job.findForTenant(other, job)).isEmpty());
  }

  @Test
  void pagesWalkATenantsJobsNewestFirstWithoutGapsOrRepeats() {
    UUID tenant = newTenant();
    UUID otherTenant = newTenant();
    persistJob(newJob(otherTenant));
    Instant base = Clock.now();
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      Job job = newJob(tenant);
      // Two jobs share each timestamp, so the id must break ties.
      job.createdAt = base.plusSeconds(i / 2);
      persistJob(job);
      jobs.add(job);
    }
    List<UUID> newestFirst =
        jobs.stream()
            .sorted(
                (a, b) -> {
                  int byTime = b.createdAt.compareTo(a.createdAt);
                  return byTime != 0 ? byTime : pgUuidOrder(b.id, a.id);
                })
            .map(job -> job.id)
            .toList();

    List<UUID> walked = new ArrayList<>();
    PageCursor cursor = null;
    for (int pages = 0; pages < 10; pages++) {
      PageCursor after = cursor;
      List<Job> page = tx(() -> Job.pageForTenant(tenant, after, 3));
      if (page.isEmpty()) {
        break;
      }
      page.forEach(job -> walked.add(job.id));
      cursor = PageCursor.parse(page.get(page.size() - 1).cursor().token());
    }

    assertEquals(newestFirst, walked);
  }

  /** PostgreSQL orders uuids by their bytes, unsigned; Java's UUID.compareTo is signed. */
  private static int pgUuidOrder(UUID a, UUID b) {
    int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
    return high != 0
        ? high
        : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
  }

  @Test
  void activeJobsCountQueuedAndRunningOnly() {
    UUID tenant = newTenant();
    for (JobStatus status : JobStatus.values()) {
      Job job = newJob(tenant);
      job.status = status;
      persistJob(job);
    }

    assertEquals(2, tx(() -> Job.countActive(tenant)));
    assertEquals(1, tx(() -> Job.listForTenant(tenant, JobStatus.FAILED)).size());
  }

  @Test
  void concurrentUpdateOfAJobFailsOnTheStaleVersion() {
    UUID id = persistJob(newJob(newTenant()));
    Job stale = tx(() -> Job.findById(id));

    txRun(() -> Job.<Job>findById(id).status = JobStatus.RUNNING);
    stale.status = JobStatus.CANCELLED;
    Exception e =
        assertThrows(Exception.class, () -> txRun(() -> Job.getEntityManager().merge(stale)));

    assertTrue(
        hasCause(e, OptimisticLockException.class) || hasCause(e, StaleStateException.class),
        e.toString());
    assertEquals(JobStatus.RUNNING, tx(() -> Job.<Job>findById(id).status));
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (type.isInstance(cause)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aStageRunCarriesItsJobsTenantPriorityAndCreationTimeForTheDispatchQueue() {
    UUID tenant = newTenant();
    Job job = newJob(tenant);
    job.priority = 7;
    persistJob(job);
    StageRun run = StageRun.pending(job.id, Stage.FUSION);
    txRun(run::persist);
    Object[] copied =
        tx(
            () ->
                (Object[])
                    StageRun.getEntityManager()
                        .createNativeQuery(
                            "select r.tenant_id, r.job_priority, r.job_created_at = j.created_at"
                                + " from stage_runs r join jobs j on j.id = r.job_id"
                                + " where r.id = ?1")
                        .setParameter(1, run.id)
                        .getSingleResult());
    assertEquals(tenant, copied[0]);
    assertEquals(7, ((Number) copied[1]).intValue());
    assertEquals(Boolean.TRUE, copied[2]);
  }

  @Test
  void stageRunRoundTripsEveryColumn() {
    UUID job = persistJob(newJob(newTenant()));
    StageRun run = StageRun.pending(job, Stage.CONTENT_INVERSION);
    txRun(run::persist);
    Instant now = Clock.now();

    txRun(
        () -> {
          StageRun stored = StageRun.findById(run.id);
          stored.attempt = 2;
          stored.status = StageRunStatus.RUNNING;
          stored.leaseExpiresAt = now.plusSeconds(30);
          stored.lastHeartbeatAt = now;
          stored.progressStep = 40;
          stored.progressTotal = 500;
          stored.progressLoss = 0.0625;
          stored.checkpointKey = BlobKeys.checkpoint(run.id, 40);
          stored.checkpointStep = 40;
          stored.outputKey = "embeddings/content/x.safetensors";
          stored.errorCode = "worker_lost";
          stored.errorMessage = "lease expired";
          stored.errorRetryable = true;
          stored.retryCount = 1;
          stored.nextAttemptAt = now.plusSeconds(5);
          stored.dispatchedAt = now.minusSeconds(10);
          stored.startedAt = now.minusSeconds(9);
          stored.finishedAt = now;
        });
    StageRun read = tx(() -> StageRun.find(job, Stage.CONTENT_INVERSION).orElseThrow());

    assertEquals(run.id, read.id);
    assertEquals(job, read.jobId);
    assertEquals(Stage.CONTENT_INVERSION, read.stage);
    assertEquals(2, read.attempt);
    assertEquals(StageRunStatus.RUNNING, read.status);
    assertEquals(now.plusSeconds(30), read.leaseExpiresAt);
    assertEquals(now, read.lastHeartbeatAt);
    assertEquals(40, read.progressStep);
    assertEquals(500, read.progressTotal);
    assertEquals(0.0625, read.progressLoss);
    assertEquals(BlobKeys.checkpoint(run.id, 40), read.checkpointKey);
    assertEquals(40, read.checkpointStep);
    assertEquals("embeddings/content/x.safetensors", read.outputKey);
    assertEquals("worker_lost", read.errorCode);
    assertEquals("lease expired", read.errorMessage);
    assertTrue(read.errorRetryable);
    assertEquals(1, read.retryCount);
    assertEquals(now.plusSeconds(5), read.nextAttemptAt);
    assertEquals(run.createdAt, read.createdAt);
    assertEquals(now.minusSeconds(10), read.dispatchedAt);
    assertEquals(now.minusSeconds(9), read.startedAt);
    assertEquals(now, read.finishedAt);
    assertTrue(read.isCurrent(run.id, 2));
    assertFalse(read.isCurrent(run.id, 1));
  }

  @Test
  void aJobHasOneRunPerStage() {
    UUID job = persistJob(newJob(newTenant()));
    for (Stage stage : List.of(Stage.SCORING, Stage.FUSION, Stage.CONCEPT_INVERSION)) {
      StageRun run = StageRun.pending(job, stage);
      txRun(run::persist);
    }

    assertViolates("stage_runs_job_stage_uq", () -> StageRun.pending(job, Stage.FUSION).persist());

    assertEquals(
        List.of(Stage.CONCEPT_INVERSION, Stage.FUSION, Stage.SCORING),
        tx(() -> StageRun.forJob(job).stream().map(run -> run.stage).toList()));
  }

  @Test
  void leaseScanFindsInFlightRunsWhoseLeaseEnded() {
    UUID job = persistJob(newJob(newTenant()));
    Instant now = Clock.now();
    Map<Stage, StageRun> runs = new LinkedHashMap<>();
    runs.put(Stage.CONTENT_INVERSION, run(job, Stage.CONTENT_INVERSION, StageRunStatus.RUNNING));
    runs.put(Stage.CONCEPT_INVERSION, run(job, Stage.CONCEPT_INVERSION, StageRunStatus.DISPATCHED));
    runs.put(Stage.FUSION, run(job, Stage.FUSION, StageRunStatus.RUNNING));
    runs.put(Stage.SCORING, run(job, Stage.SCORING, StageRunStatus.SUCCEEDED));
    runs.get(Stage.CONTENT_INVERSION).leaseExpiresAt = now.minusSeconds(1);
    runs.get(Stage.CONCEPT_INVERSION).leaseExpiresAt = now.minusSeconds(60);
    runs.get(Stage.FUSION).leaseExpiresAt = now.plusSeconds(60);
    runs.get(Stage.SCORING).leaseExpiresAt = now.minusSeconds(60);
    txRun(() -> runs.values().forEach(run -> run.persist()));

    List<UUID> expired =
        tx(() -> StageRun.expiredLeases(now, 10_000).stream().map(run -> run.id).toList());

    Set<UUID> ours = Set.copyOf(runs.values().stream().map(run -> run.id).toList());
    assertEquals(
        List.of(runs.get(Stage.CONCEPT_INVERSION).id, runs.get(Stage.CONTENT_INVERSION).id),
        expired.stream().filter(ours::contains).toList());
  }

  @Test
  void retryScanFindsPendingRunsWhoseBackOffPassed() {
    UUID job = persistJob(newJob(newTenant()));
    Instant now = Clock.now();
    StageRun due = run(job, Stage.CONTENT_INVERSION, StageRunStatus.PENDING);
    due.nextAttemptAt = now.minusMillis(1);
    StageRun waiting = run(job, Stage.CONCEPT_INVERSION, StageRunStatus.PENDING);
    waiting.nextAttemptAt = now.plus(Duration.ofMinutes(1));
    StageRun fresh = run(job, Stage.FUSION, StageRunStatus.PENDING);
    txRun(
        () -> {
          due.persist();
          waiting.persist();
          fresh.persist();
        });

    List<UUID> found =
        tx(() -> StageRun.dueForRetry(now, 10_000).stream().map(run -> run.id).toList());

    assertTrue(found.contains(due.id));
    assertFalse(found.contains(waiting.id));
    assertFalse(found.contains(fresh.id));
  }

  private static StageRun run(UUID job, Stage stage, StageRunStatus status) {
    StageRun run = StageRun.pending(job, stage);
    run.status = status;
    run.attempt = 1;
    return run;
  }

  @Test
  void embeddingsAreLookedUpByManyKeysAtOnceMatchingEachKeyWhole() {
    String first = UUID.randomUUID().toString().replace("-", "").repeat(2);
    String second = UUID.randomUUID().toString().replace("-", "").repeat(2);
    Embedding content =
        Embedding.of(EmbeddingKind.CONTENT, first, "sd-1.5", "p-1", "k/1", new long[] {1, 2});
    Embedding concept =
        Embedding.of(EmbeddingKind.CONCEPT, second, "sd-1.5", "p-2", "k/2", new long[] {3});
    txRun(
        () -> {
          content.persist();
          concept.persist();
        });
    Embedding.Key contentKey = new Embedding.Key(EmbeddingKind.CONTENT, first, "sd-1.5", "p-1");
    Embedding.Key conceptKey = new Embedding.Key(EmbeddingKind.CONCEPT, second, "sd-1.5", "p-2");
    // each column's value is among the entries', the combination is not
    Embedding.Key crossed = new Embedding.Key(EmbeddingKind.CONTENT, second, "sd-1.5", "p-2");
    Embedding.Key missing = new Embedding.Key(EmbeddingKind.CONCEPT, first, "sd-1.5", "p-1");

    Map<Embedding.Key, Embedding> found =
        tx(() -> Embedding.lookup(List.of(contentKey, conceptKey, crossed, missing)));

    assertEquals(Set.of(contentKey, conceptKey), found.keySet());
    assertEquals(content.id, found.get(contentKey).id);
    assertEquals("k/2", found.get(conceptKey).blobKey);
    assertTrue(tx(() -> Embedding.lookup(List.of())).isEmpty());
  }

  @Test
  void embeddingRoundTripsAndIsFoundByItsCacheKey() {
    String input = UUID.randomUUID().toString().replace("-", "").repeat(2);
    String hash = BlobKeys.embeddingHash(input, "sd-1.5", "params-1");
    Embedding embedding =
        Embedding.of(
            EmbeddingKind.CONTENT,
            input,
            "sd-1.5",
            "params-1",
            BlobKeys.embedding(EmbeddingKind.CONTENT, hash),
            new long[] {50, 77, 768});
    txRun(embedding::persist);

    Embedding found =
        tx(
            () ->
                Embedding.lookup(EmbeddingKind.CONTENT, input, "sd-1.5", "params-1").orElseThrow());

    assertEquals(embedding.id, found.id);
    assertEquals(EmbeddingKind.CONTENT, found.kind);
    assertEquals(BlobKeys.embedding(EmbeddingKind.CONTENT, hash), found.blobKey);
    assertArrayEquals(new long[] {50, 77, 768}, found.shape);
    assertEquals(embedding.createdAt, found.createdAt);
    assertTrue(
        tx(() -> Embedding.lookup(EmbeddingKind.CONCEPT, input, "sd-1.5", "params-1")).isEmpty());
    assertTrue(
        tx(() -> Embedding.lookup(EmbeddingKind.CONTENT, input, "sd-1.5", "params-2")).isEmpty());
    assertViolates(
        "embeddings_lookup_uq",
        () ->
            Embedding.of(
                    EmbeddingKind.CONTENT, input, "sd-1.5", "params-1", "other", new long[] {1})
                .persist());
  }

  @Test
  void processedEventIsFirstSeenOncePerConsumer() {
    UUID event = UUID.randomUUID();

    assertTrue(tx(() -> ProcessedEvent.markProcessed("orchestrator", event)));
    assertFalse(tx(() -> ProcessedEvent.markProcessed("orchestrator", event)));
    assertTrue(tx(() -> ProcessedEvent.markProcessed("gateway-webhooks", event)));
    assertTrue(tx(() -> ProcessedEvent.wasProcessed("orchestrator", event)));
    assertFalse(tx(() -> ProcessedEvent.wasProcessed("orchestrator", UUID.randomUUID())));
  }

  @Test
  void aBatchOfEventsIsMarkedInOneGoAndOnlyTheUnseenOnesAreReturned() {
    UUID seen = UUID.randomUUID();
    UUID fresh = UUID.randomUUID();
    txRun(() -> ProcessedEvent.markProcessed("batch-test", seen));

    assertEquals(
        Set.of(fresh),
        tx(() -> ProcessedEvent.markProcessed("batch-test", List.of(seen, fresh, fresh))));
    assertEquals(
        Set.of(), tx(() -> ProcessedEvent.markProcessed("batch-test", List.of(seen, fresh))));
    assertEquals(
        Set.of(seen, fresh),
        tx(() -> ProcessedEvent.markProcessed("other-consumer", List.of(seen, fresh))));
  }

  @Test
  void purgeForgetsOnlyEventsProcessedBeforeTheCutoff() {
    UUID old = UUID.randomUUID();
    UUID recent = UUID.randomUUID();
    txRun(() -> ProcessedEvent.markProcessed("purge-test", old));
    txRun(
        () ->
            ProcessedEvent.getEntityManager()
                .createNativeQuery(
                    "update processed_events set processed_at = now() - interval '30 days'"
                        + " where event_id = ?1")
                .setParameter(1, old)
                .executeUpdate());
    txRun(() -> ProcessedEvent.markProcessed("purge-test", recent));

    txRun(() -> ProcessedEvent.purgeBefore(Instant.now().minus(Duration.ofDays(7))));

    assertFalse(tx(() -> ProcessedEvent.wasProcessed("purge-test", old)));
    assertTrue(tx(() -> ProcessedEvent.wasProcessed("purge-test", recent)));
  }

  @Test
  void processedEventMarkIsUndoneWithItsTransaction() {
    UUID event = UUID.randomUUID();

    assertThrows(
        IllegalStateException.class,
        () ->
            txRun(
                () -> {
                  ProcessedEvent.markProcessed("orchestrator", event);
                  throw new IllegalStateException("the event's handling failed");
                }));

    assertTrue(tx(() -> ProcessedEvent.markProcessed("orchestrator", event)));
  }

  @Test
  void textCodesAreCheckedByTheDatabase() {
    UUID job = persistJob(newJob(newTenant()));

    Exception e =
        assertThrows(
            Exception.class,
            () ->
                txRun(
                    () -> {
                      EntityManager em = Job.getEntityManager();
                      em.createNativeQuery("update jobs set status = 'QUEUED' where id = ?1")
                          .setParameter(1, job)
                          .executeUpdate();
                    }));

    assertTrue(hasMessage(e, "jobs_status_check"), e.toString());
    assertEquals(JobStatus.QUEUED, tx(() -> Job.<Job>findById(job).status));
  }

  private static boolean hasMessage(Throwable e, String text) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (String.valueOf(cause.getMessage()).contains(text)) {
        return true;
      }
    }
    return false;
  }
}
