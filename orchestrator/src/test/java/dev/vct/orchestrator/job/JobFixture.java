package dev.vct.orchestrator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vct.storage.blob.Sha256;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobEventEntry;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import dev.vct.storage.tenant.Tenant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * What the job tests share: a fresh tenant, the test playing the workers ({@link FakeWorker}), jobs
 * written and submitted as the gateway does, and reads of their state in transactions of their own.
 * One per test: made in its set-up, closed in its tear-down.
 */
final class JobFixture implements AutoCloseable {
  final FakeWorker worker;
  final UUID tenant;

  JobFixture(String bootstrapServers) {
    worker = new FakeWorker(bootstrapServers);
    tenant =
        QuarkusTransaction.requiringNew()
            .call(
                () -> {
                  Tenant t = Tenant.create("tenant-" + UUID.randomUUID(), 100, 1000);
                  t.persist();
                  return t.id;
                });
  }

  /** A queued job of the tenant with the default knobs; not submitted yet. */
  UUID newJob(String sourceSha, String referenceSha) {
    return newJob(sourceSha, referenceSha, Map.of("guidance", 7.5, "concept_steps", 500));
  }

  UUID newJob(String sourceSha, String referenceSha, Map<String, Object> parameters) {
    UUID id = UUID.randomUUID();
    QuarkusTransaction.requiringNew()
        .run(
            () ->
                Job.queued(
                        id,
                        tenant,
                        parameters,
                        42L,
                        "tiny-sd",
                        "inputs/" + id + "/source.png",
                        sourceSha,
                        "inputs/" + id + "/reference.png",
                        referenceSha)
                    .persist());
    return id;
  }

  /** Sends the job's submit message, as the gateway does after writing it. */
  UUID submit(UUID job) {
    worker.sendRaw(
        Topics.JOB_SUBMITTED,
        job.toString(),
        EventJson.encodeToString(JobSubmitted.of(job, tenant)));
    return job;
  }

  @Override
  public void close() {
    worker.close();
  }

  /** The states {@code job}'s log announced for {@code stage}, in order. */
  static List<StageRunStatus> stageChanges(UUID job, Stage stage) {
    return QuarkusTransaction.requiringNew().call(() -> JobEventEntry.after(job, 0, 1_000)).stream()
        .map(JobEventEntry::event)
        .filter(JobEvent.StageChanged.class::isInstance)
        .map(JobEvent.StageChanged.class::cast)
        .filter(changed -> changed.stage() == stage)
        .map(JobEvent.StageChanged::status)
        .toList();
  }

  static void assertEventLogIsGapFreeWithOneCompletion(UUID job, JobStatus status) {
    List<JobEventEntry> log =
        QuarkusTransaction.requiringNew().call(() -> JobEventEntry.after(job, 0, 1_000));
    for (int i = 0; i < log.size(); i++) {
      assertEquals(i + 1, log.get(i).seq);
    }
    List<JobEvent.Completed> completions =
        log.stream()
            .map(JobEventEntry::event)
            .filter(JobEvent.Completed.class::isInstance)
            .map(JobEvent.Completed.class::cast)
            .toList();
    assertEquals(1, completions.size(), "exactly one completion in " + log.size() + " events");
    assertEquals(status, completions.get(0).status());
    assertEquals(
        completions.get(0).eventId(), log.get(log.size() - 1).eventId, "completion is last");
  }

  /** The job once {@code condition} holds for it, read every 50 ms; fails after 15 s. */
  static Job awaitJob(UUID id, Predicate<Job> condition) {
    long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < until) {
      Job job = QuarkusTransaction.requiringNew().call(() -> Job.<Job>findById(id));
      if (job != null && condition.test(job)) {
        return job;
      }
      sleep(Duration.ofMillis(50));
    }
    Job last = QuarkusTransaction.requiringNew().call(() -> Job.<Job>findById(id));
    return fail(
        "job "
            + id
            + " did not reach the expected state; it is "
            + (last == null ? null : last.status));
  }

  static List<StageRun> runs(UUID job) {
    return QuarkusTransaction.requiringNew().call(() -> StageRun.forJob(job));
  }

  static StageRun run(UUID job, Stage stage) {
    return QuarkusTransaction.requiringNew().call(() -> StageRun.find(job, stage).orElseThrow());
  }

  static String randomSha() {
    return Sha256.hex(UUID.randomUUID().toString());
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
