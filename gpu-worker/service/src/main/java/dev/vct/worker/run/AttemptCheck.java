package dev.vct.worker.run;

import dev.vct.storage.event.StageRunRef;
import dev.vct.worker.config.WorkerConfig;
import dev.vct.worker.stage.StopReason;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Asks the orchestrator's database whether one attempt of a stage run is still wanted: read only,
 * one row by primary key, before a worker starts (or resumes) a request and again every {@code
 * vct.worker.attempt-check.every} while it runs. The database is the authority on this (the
 * orchestrator is its only writer and decides there), and it answers the same after a worker
 * restart, a broker restart, and for a request that waited in its topic long before its job ended:
 * none of which a cancel message read from the end of {@code vct.job.cancel} covers.
 *
 * <p>The stage run's row decides, not the job's: the orchestrator ends every unfinished stage run
 * of a job in the transaction that ends the job, and a stage run that goes on after its job ended
 * (one that other jobs wait for) is still wanted. An attempt is dead only on positive evidence: a
 * newer attempt was dispatched, the stage run ended, or this attempt's outcome is recorded (its
 * retry is pending). Anything else, including a stage run the database does not know, runs: a live
 * request that is skipped waits for ever (a dispatched stage run has no lease before a worker
 * reports), where a dead one that runs costs only compute. A failed query is not an answer: the
 * caller asks again.
 */
@ApplicationScoped
public class AttemptCheck {

  private static final String QUERY =
      "select r.job_id, r.status, r.attempt, j.status"
          + " from stage_runs r join jobs j on j.id = r.job_id where r.id = ?";

  private static final Set<String> ENDED_RUN = Set.of("succeeded", "failed", "skipped");

  private final DataSource database;
  private final Duration timeout;

  @Inject
  AttemptCheck(DataSource database, WorkerConfig config) {
    this(database, config.attemptCheck().timeout());
  }

  AttemptCheck(DataSource database, Duration timeout) {
    this.database = database;
    this.timeout = timeout;
  }

  /** What the database says of {@code attempt}. */
  public record Verdict(boolean live, boolean known, StopReason stopAs, String reason) {
    static Verdict run(String reason) {
      return new Verdict(true, true, null, reason);
    }

    /** The rows do not tell: run, and say so loudly. */
    static Verdict unknown(String reason) {
      return new Verdict(true, false, null, reason);
    }

    /** The stage run was cancelled (its job ended): a running attempt stops as cancelled. */
    static Verdict jobEnded(String reason) {
      return new Verdict(false, true, StopReason.CANCELLED, reason);
    }

    /** The job goes on without this attempt: a running one checkpoints and stops, unreported. */
    static Verdict attemptEnded(String reason) {
      return new Verdict(false, true, StopReason.SUPERSEDED, reason);
    }
  }

  /**
   * Reads the stage run's row and its job's.
   *
   * @throws SQLException when the database does not answer within {@code
   *     vct.worker.attempt-check.timeout} or fails: not an answer, ask again
   */
  public Verdict verdict(StageRunRef attempt) throws SQLException {
    try (Connection connection = database.getConnection();
        PreparedStatement query = connection.prepareStatement(QUERY)) {
      query.setQueryTimeout((int) Math.max(1, Math.ceil(timeout.toMillis() / 1000.0)));
      query.setObject(1, attempt.stageRunId());
      try (ResultSet row = query.executeQuery()) {
        if (!row.next()) {
          return Verdict.unknown(
              "stage run "
                  + attempt.stageRunId()
                  + " is not in the database; running it (does this worker read the"
                  + " orchestrator's database?)");
        }
        return decide(
            attempt,
            row.getObject(1, UUID.class),
            row.getString(2),
            row.getInt(3),
            row.getString(4));
      }
    }
  }

  /** The verdict on {@code attempt} given its rows' columns; statuses are their text codes. */
  static Verdict decide(
      StageRunRef attempt, UUID jobOfRun, String runStatus, int currentAttempt, String jobStatus) {
    if (!attempt.jobId().equals(jobOfRun)) {
      return Verdict.unknown(
          "stage run "
              + attempt.stageRunId()
              + " belongs to job "
              + jobOfRun
              + ", not "
              + attempt.jobId()
              + "; running it as requested");
    }
    String job = "job " + jobStatus;
    if (currentAttempt > attempt.attempt()) {
      return Verdict.attemptEnded(
          "attempt "
              + attempt.attempt()
              + " superseded by attempt "
              + currentAttempt
              + " ("
              + job
              + ")");
    }
    if (runStatus.equals("cancelled")) {
      return Verdict.jobEnded("stage run cancelled (" + job + ")");
    }
    if (ENDED_RUN.contains(runStatus)) {
      return Verdict.attemptEnded("stage run " + runStatus + " (" + job + ")");
    }
    if (currentAttempt == attempt.attempt() && runStatus.equals("pending")) {
      // The attempt's failure is recorded; its retry will be dispatched as the next attempt.
      return Verdict.attemptEnded(
          "attempt " + currentAttempt + " ended, its retry is pending (" + job + ")");
    }
    return Verdict.run("current attempt, stage run " + runStatus + " (" + job + ")");
  }
}
