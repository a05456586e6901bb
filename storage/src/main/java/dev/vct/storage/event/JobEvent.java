package dev.vct.storage.event;

import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.Scores;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRunStatus;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * What clients may learn about a job, from the orchestrator on {@link Topics#JOB_EVENTS}; the
 * gateway streams them (SSE) and posts them to webhooks of the job's tenant.
 */
public sealed interface JobEvent extends VctEvent {

  UUID tenantId();

  /** The job's status moved from {@code from} to {@code to}. */
  record StatusChanged(
      UUID eventId, Instant occurredAt, UUID jobId, UUID tenantId, JobStatus from, JobStatus to)
      implements JobEvent {
    public StatusChanged {
      EventChecks.jobMessage(eventId, occurredAt, jobId, tenantId);
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }

    public static StatusChanged of(UUID jobId, UUID tenantId, JobStatus from, JobStatus to) {
      return new StatusChanged(UUID.randomUUID(), Instant.now(), jobId, tenantId, from, to);
    }
  }

  /** A stage of the job reached {@code status} in its attempt {@code attempt}. */
  record StageChanged(
      UUID eventId,
      Instant occurredAt,
      UUID jobId,
      UUID tenantId,
      Stage stage,
      StageRunStatus status,
      int attempt)
      implements JobEvent {
    public StageChanged {
      EventChecks.jobMessage(eventId, occurredAt, jobId, tenantId);
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(status, "status");
    }

    public static StageChanged of(
        UUID jobId, UUID tenantId, Stage stage, StageRunStatus status, int attempt) {
      return new StageChanged(
          UUID.randomUUID(), Instant.now(), jobId, tenantId, stage, status, attempt);
    }
  }

  /**
   * Progress within a stage.
   *
   * @param loss the step's optimization loss, or null
   * @param fraction the whole job's progress, from 0 to 1
   */
  record Progress(
      UUID eventId,
      Instant occurredAt,
      UUID jobId,
      UUID tenantId,
      Stage stage,
      int step,
      int totalSteps,
      Double loss,
      double fraction)
      implements JobEvent {
    public Progress {
      EventChecks.jobMessage(eventId, occurredAt, jobId, tenantId);
      Objects.requireNonNull(stage, "stage");
      if (!(fraction >= 0 && fraction <= 1)) {
        throw new IllegalArgumentException("job progress must be within [0, 1], got " + fraction);
      }
    }

    public static Progress of(
        UUID jobId,
        UUID tenantId,
        Stage stage,
        int step,
        int totalSteps,
        Double loss,
        double fraction) {
      return new Progress(
          UUID.randomUUID(),
          Instant.now(),
          jobId,
          tenantId,
          stage,
          step,
          totalSteps,
          loss,
          fraction);
    }
  }

  /**
   * The job ended; the last event of a job.
   *
   * @param status a terminal status
   * @param resultKey the result image's blob key when it succeeded, else null
   * @param scores the result's scores when it succeeded, else null
   * @param errorCode a stable error code when it failed, else null
   * @param errorMessage a message for people when it failed, else null
   */
  record Completed(
      UUID eventId,
      Instant occurredAt,
      UUID jobId,
      UUID tenantId,
      JobStatus status,
      String resultKey,
      Scores scores,
      String errorCode,
      String errorMessage)
      implements JobEvent {
    public Completed {
      EventChecks.jobMessage(eventId, occurredAt, jobId, tenantId);
      Objects.requireNonNull(status, "status");
      if (!status.terminal()) {
        throw new IllegalArgumentException(
            "a completed job has a terminal status, got " + status.code());
      }
    }

    public static Completed succeeded(UUID jobId, UUID tenantId, String resultKey, Scores scores) {
      return new Completed(
          UUID.randomUUID(),
          Instant.now(),
          jobId,
          tenantId,
          JobStatus.SUCCEEDED,
          Objects.requireNonNull(resultKey, "resultKey"),
          scores,
          null,
          null);
    }

    public static Completed failed(
        UUID jobId, UUID tenantId, String errorCode, String errorMessage) {
      return new Completed(
          UUID.randomUUID(),
          Instant.now(),
          jobId,
          tenantId,
          JobStatus.FAILED,
          null,
          null,
          Objects.requireNonNull(errorCode, "errorCode"),
          Objects.requireNonNull(errorMessage, "errorMessage"));
    }

    public static Completed cancelled(UUID jobId, UUID tenantId) {
      return new Completed(
          UUID.randomUUID(),
          Instant.now(),
          jobId,
          tenantId,
          JobStatus.CANCELLED,
          null,
          null,
          null,
          null);
    }
  }
}
