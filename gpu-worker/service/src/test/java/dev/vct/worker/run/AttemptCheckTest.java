package dev.vct.worker.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.local.test.PostgresTestResource;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.job.Stage;
import dev.vct.worker.run.AttemptCheck.Verdict;
import dev.vct.worker.stage.StopReason;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The check against a real PostgreSQL server with the orchestrator's schema. */
class AttemptCheckTest {

  private static PGSimpleDataSource database;
  private static AttemptCheck check;
  private static UUID tenant;

  @BeforeAll
  static void migrate() throws SQLException {
    Map<String, String> properties = new PostgresTestResource().start();
    database = new PGSimpleDataSource();
    database.setURL(properties.get("quarkus.datasource.jdbc.url"));
    database.setUser(properties.get("quarkus.datasource.username"));
    database.setPassword(properties.get("quarkus.datasource.password"));
    Flyway.configure().dataSource(database).load().migrate();
    check = new AttemptCheck(database, Duration.ofSeconds(1));
    tenant = UUID.randomUUID();
    update(
        "insert into tenants (id, name, max_concurrent_jobs, requests_per_minute)"
            + " values (?, ?, 10, 10)",
        tenant,
        "attempt-check-" + tenant);
  }

  @Test
  void theCurrentAttemptOfARunningJobRuns() throws SQLException {
    StageRunRef dispatched = stageRun("running", "dispatched", 1);
    StageRunRef running = stageRun("running", "running", 3);
    assertTrue(check.verdict(dispatched).live());
    assertTrue(check.verdict(running).live());
    assertTrue(check.verdict(running).known());
  }

  @Test
  void anAttemptOfAStageRunTheOrchestratorCancelledStopsAsCancelled() throws SQLException {
    // The orchestrator cancels a job's unfinished stage runs with the job, also when the job
    // failed because another stage did.
    for (String ended : new String[] {"cancelled", "failed"}) {
      Verdict verdict = check.verdict(stageRun(ended, "cancelled", 1));
      assertFalse(verdict.live(), ended);
      assertEquals(StopReason.CANCELLED, verdict.stopAs());
      assertEquals("stage run cancelled (job " + ended + ")", verdict.reason());
    }
  }

  @Test
  void aStageRunThatGoesOnAfterItsJobEndedStillRuns() throws SQLException {
    // The stage run decides: one the orchestrator keeps going (other jobs wait for its output)
    // is wanted though the job that planned it is over.
    assertTrue(check.verdict(stageRun("cancelled", "running", 1)).live());
  }

  @Test
  void aSupersededAttemptStopsWithoutEndingTheJob() throws SQLException {
    StageRunRef current = stageRun("running", "dispatched", 2);
    StageRunRef older = new StageRunRef(current.jobId(), current.stageRunId(), current.stage(), 1);
    Verdict verdict = check.verdict(older);
    assertFalse(verdict.live());
    assertEquals(StopReason.SUPERSEDED, verdict.stopAs());
    assertEquals("attempt 1 superseded by attempt 2 (job running)", verdict.reason());
    assertTrue(check.verdict(current).live(), "attempt 2 runs");
  }

  @Test
  void anAttemptWhoseOutcomeIsRecordedDoesNotRunAgain() throws SQLException {
    for (String ended : new String[] {"succeeded", "failed", "skipped"}) {
      Verdict verdict = check.verdict(stageRun("running", ended, 1));
      assertFalse(verdict.live(), ended);
      assertEquals(StopReason.SUPERSEDED, verdict.stopAs());
    }
    // Failed and waiting for its retry: the retry comes as attempt 2.
    Verdict retrying = check.verdict(stageRun("running", "pending", 1));
    assertFalse(retrying.live());
    assertEquals("attempt 1 ended, its retry is pending (job running)", retrying.reason());
  }

  @Test
  void aStageRunTheDatabaseDoesNotKnowRunsAndSaysSo() throws SQLException {
    Verdict verdict =
        check.verdict(
            new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), Stage.CONTENT_INVERSION, 1));
    assertTrue(verdict.live(), "no evidence that it is dead: a live request is never dropped");
    assertFalse(verdict.known());
  }

  @Test
  void aDatabaseThatDoesNotAnswerInTimeIsNoAnswer() throws Exception {
    StageRunRef attempt = stageRun("cancelled", "cancelled", 1);
    try (Connection locker = database.getConnection();
        Statement lock = locker.createStatement()) {
      locker.setAutoCommit(false);
      lock.execute("lock table stage_runs in access exclusive mode");
      long start = System.nanoTime();
      assertThrows(SQLException.class, () -> check.verdict(attempt));
      long waited = Duration.ofNanos(System.nanoTime() - start).toMillis();
      assertTrue(waited >= 900 && waited < 10_000, "gave up after " + waited + " ms");
      locker.rollback();
    }
    assertFalse(check.verdict(attempt).live(), "answers again once the lock is gone");
  }

  /** A job in {@code jobStatus} with one stage run in {@code runStatus} at {@code attempt}. */
  private static StageRunRef stageRun(String jobStatus, String runStatus, int attempt)
      throws SQLException {
    UUID job = UUID.randomUUID();
    UUID run = UUID.randomUUID();
    update(
        "insert into jobs (id, tenant_id, status, parameters, seed, model_id, source_key,"
            + " source_sha256, reference_key, reference_sha256)"
            + " values (?, ?, ?, '{}'::jsonb, 1, 'tiny', 'inputs/s', ?, 'inputs/r', ?)",
        job,
        tenant,
        jobStatus,
        "0".repeat(64),
        "1".repeat(64));
    update(
        "insert into stage_runs (id, job_id, stage, attempt, status) values (?, ?, ?, ?, ?)",
        run,
        job,
        "content_inversion",
        attempt,
        runStatus);
    return new StageRunRef(job, run, Stage.CONTENT_INVERSION, attempt);
  }

  private static void update(String sql, Object... values) throws SQLException {
    try (Connection c = database.getConnection();
        PreparedStatement statement = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) {
        statement.setObject(i + 1, values[i]);
      }
      statement.executeUpdate();
    }
  }
}
