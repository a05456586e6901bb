package dev.vct.worker.simulated;

import dev.vct.local.test.PostgresTestResource;
import dev.vct.storage.event.StageRunRef;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;

/**
 * The orchestrator's database for tests that play the orchestrator: a real PostgreSQL server with
 * the storage module's schema (migrated before the worker starts), and the rows the orchestrator
 * would write for the stage runs a test dispatches.
 */
public class OrchestratorDatabase implements QuarkusTestResourceLifecycleManager {

  private static volatile Map<String, String> properties;
  private static final UUID TENANT = UUID.randomUUID();

  @Override
  public Map<String, String> start() {
    Map<String, String> started = new PostgresTestResource().start();
    Flyway.configure()
        .dataSource(
            started.get("quarkus.datasource.jdbc.url"),
            started.get("quarkus.datasource.username"),
            started.get("quarkus.datasource.password"))
        .load()
        .migrate();
    properties = started;
    update(
        "insert into tenants (id, name, max_concurrent_jobs, requests_per_minute)"
            + " values (?, ?, 1000, 1000) on conflict do nothing",
        TENANT,
        "worker-test-" + TENANT);
    return started;
  }

  @Override
  public void stop() {}

  /** Records {@code run}'s job in {@code jobStatus} and its stage run at {@code run.attempt()}. */
  static void record(StageRunRef run, String jobStatus, String runStatus) {
    update(
        "insert into jobs (id, tenant_id, status, parameters, seed, model_id, source_key,"
            + " source_sha256, reference_key, reference_sha256)"
            + " values (?, ?, ?, '{}'::jsonb, 7, 'tiny', 'inputs/s', ?, 'inputs/r', ?)"
            + " on conflict (id) do update set status = excluded.status",
        run.jobId(),
        TENANT,
        jobStatus,
        "0".repeat(64),
        "1".repeat(64));
    update(
        "insert into stage_runs (id, job_id, stage, attempt, status) values (?, ?, ?, ?, ?)"
            + " on conflict (id) do update set attempt = excluded.attempt,"
            + " status = excluded.status",
        run.stageRunId(),
        run.jobId(),
        run.stage().code(),
        run.attempt(),
        runStatus);
  }

  /**
   * Ends the job as {@code status}, as the orchestrator does: the job's row, and every unfinished
   * stage run of it cancelled.
   */
  static void endJob(UUID job, String status) {
    update("update jobs set status = ? where id = ?", status, job);
    update(
        "update stage_runs set status = 'cancelled' where job_id = ?"
            + " and status not in ('succeeded', 'failed', 'cancelled', 'skipped')",
        job);
  }

  /** A connection of the orchestrator's role, for a test to hold locks with. */
  static Connection connect() throws SQLException {
    return DriverManager.getConnection(
        properties.get("quarkus.datasource.jdbc.url"),
        properties.get("quarkus.datasource.username"),
        properties.get("quarkus.datasource.password"));
  }

  private static void update(String sql, Object... values) {
    try (Connection c = connect();
        PreparedStatement statement = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) {
        statement.setObject(i + 1, values[i]);
      }
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot write the orchestrator's rows: " + sql, e);
    }
  }
}
