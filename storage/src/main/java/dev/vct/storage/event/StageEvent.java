package dev.vct.storage.event;

import dev.vct.storage.job.Stage;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * What a worker reports about one attempt of one stage run, on {@link Topics#STAGE_EVENTS}. The
 * orchestrator applies an event only when its (stageRunId, attempt) is the run's current attempt,
 * so a fenced-off attempt's late events change nothing.
 */
public sealed interface StageEvent extends VctEvent {

  UUID stageRunId();

  Stage stage();

  int attempt();

  default StageRunRef run() {
    return new StageRunRef(jobId(), stageRunId(), stage(), attempt());
  }

  /**
   * A worker began the attempt (fresh or from {@code resumedFromStep}).
   *
   * @param resumedFromStep the checkpoint step it resumed from, or null for a fresh start
   */
  record Started(
      UUID eventId,
      Instant occurredAt,
      UUID jobId,
      UUID stageRunId,
      Stage stage,
      int attempt,
      String workerId,
      Integer resumedFromStep)
      implements StageEvent {
    public Started {
      EventChecks.stageMessage(eventId, occurredAt, jobId, stageRunId, stage, attempt);
      Objects.requireNonNull(workerId, "workerId");
    }

    /** What this start would tell the orchestrator inside a {@link Succeeded} instead. */
    public AttemptStart asStart() {
      return new AttemptStart(workerId, occurredAt, resumedFromStep);
    }

    public static Started of(StageRunRef run, String workerId, Integer resumedFromStep) {
      return new Started(
          UUID.randomUUID(),
          Instant.now(),
          run.jobId(),
          run.stageRunId(),
          run.stage(),
          run.attempt(),
          workerId,
          resumedFromStep);
    }
  }

  /**
   * A step finished.
   *
   * @param loss the optimization loss of the step, or null for stages that optimize nothing
   */
  record Progress(
      UUID eventId,
      Instant occurredAt,
      UUID jobId,
      UUID stageRunId,
      Stage stage,
      int attempt,
      int step,
      int totalSteps,
      Double loss)
      implements StageEvent {
    public Progress {
      EventChecks.stageMessage(eventId, occurredAt, jobId, stageRunId, stage, attempt);
      if (step < 0 || totalSteps < 1 || step > totalSteps) {
        throw new IllegalArgumentException(
            "progress must satisfy 0 <= step <= totalSteps >= 1, got " + step + "/" + totalSteps);
      }
    }

    public static Progress of(StageRunRef run, int step, int totalSteps, Double loss) {
      return new Progress(
          UUID.randomUUID(),
          Instant.now(),
          run.jobId(),
          run.stageRunId(),
          run.stage(),
          run.attempt(),
          step,
          totalSteps,
          loss);
    }
  }

  /** The worker is alive and still on the attempt; extends its lease. */
  record Heartbeat(
      UUID eventId,
      Instant occurredAt,
      UUID jobId,
      UUID stageRunId,
      Stage stage,
      int attempt,
      String workerId)
      implements StageEvent {
    public Heartbeat {
      EventChecks.stageMessage(eventId, occurredAt, jobId, stageRunId, stage, attempt);
      Objects.requireNonNull(workerId, "workerId");
    }

    public static Heartbeat of(StageRunRef run, String workerId) {
      return new Heartbeat(
          UUID.randomUUID(),
          Instant.now(),
          run.jobId(),
          run.stageRunId(),
          run.stage(),
          run.attempt(),
          workerId);
    }
  }

  /** A checkpoint of the attempt's state was written; a new attempt resumes from it. */
  record Checkpointed(
      UUID eventId,
      Instant occurredAt,
      UUID jobId,
      UUID stageRunId,
      Stage stage,
      int attempt,
      String checkpointKey,
      int step)
      implements StageEvent {
    public Checkpointed {
      EventChecks.stageMessage(eventId, occurredAt, jobId, stageRunId, stage, attempt);
      Objects.requireNonNull(checkpointKey, "checkpointKey");
      if (step < 0) {
        throw new IllegalArgumentException("checkpoint step must not be negative, got " + step);
      }
    }

    public static Checkpointed of(StageRunRef run, String checkpointKey, int step) {
      return new Checkpointed(
          UUID.randomUUID(),
          Instant.now(),
          run.jobId(),
          run.stageRunId(),
          run.stage(),
          run.attempt(),
          checkpointKey,
          step);
    }
  }

  /**
   * What a {@link Started} says, carried by a {@link Succeeded} whose attempt ended before its
   * worker sent the {@code Started} (the worker holds it back for {@code
   * vct.worker.started-report-delay}).
   *
   * @param workerId the worker that ran the attempt
   * @param startedAt when the attempt started on it (the held-back {@code Started}'s occurredAt)
   * @param resumedFromStep the checkpoint step it resumed from, or null for a fresh start
   */
  record AttemptStart(String workerId, Instant startedAt, Integer resumedFromStep) {
    public AttemptStart {
      Objects.requireNonNull(workerId, "workerId");
      Objects.requireNonNull(startedAt, "startedAt");
    }
  }

  /**
   * The attempt finished and wrote its outputs.
   *
   * <p>A worker sends either a {@link Started} before this event or, for an attempt that ended
   * within its started-report delay, no {@code Started} and the start here, in {@code
   * unreportedStart}; never both. An orchestrator that does not know the field ignores it (unknown
   * JSON properties are skipped) and applies the success to the dispatched run as before.
   *
   * @param metrics numbers the stage measured, such as {@code lpips}, {@code brisque}, {@code
   *     seconds}
   * @param unreportedStart the attempt's start when no {@link Started} was sent for it; null when
   *     one was
   */
  record Succeeded(
      UUID eventId,
      Instant occurredAt,
      UUID jobId,
      UUID stageRunId,
      Stage stage,
      int attempt,
      Map<BlobRole, String> outputKeys,
      Map<String, Double> metrics,
      AttemptStart unreportedStart)
      implements StageEvent {
    public Succeeded {
      EventChecks.stageMessage(eventId, occurredAt, jobId, stageRunId, stage, attempt);
      outputKeys = Map.copyOf(Objects.requireNonNull(outputKeys, "outputKeys"));
      metrics = Map.copyOf(Objects.requireNonNull(metrics, "metrics"));
    }

    /** A success whose {@link Started} was sent before it. */
    public static Succeeded of(
        StageRunRef run, Map<BlobRole, String> outputKeys, Map<String, Double> metrics) {
      return of(run, outputKeys, metrics, null);
    }

    /**
     * A success that carries its attempt's start ({@code unreportedStart}), or null when its {@link
     * Started} was sent.
     */
    public static Succeeded of(
        StageRunRef run,
        Map<BlobRole, String> outputKeys,
        Map<String, Double> metrics,
        AttemptStart unreportedStart) {
      return new Succeeded(
          UUID.randomUUID(),
          Instant.now(),
          run.jobId(),
          run.stageRunId(),
          run.stage(),
          run.attempt(),
          outputKeys,
          metrics,
          unreportedStart);
    }
  }

  /**
   * The attempt failed.
   *
   * @param code a stable error code, such as {@code out_of_memory}
   * @param retryable whether another attempt may succeed (a lost node: yes; a corrupt input: no)
   */
  record Failed(
      UUID eventId,
      Instant occurredAt,
      UUID jobId,
      UUID stageRunId,
      Stage stage,
      int attempt,
      String code,
      String message,
      boolean retryable)
      implements StageEvent {
    public Failed {
      EventChecks.stageMessage(eventId, occurredAt, jobId, stageRunId, stage, attempt);
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }

    public static Failed of(StageRunRef run, String code, String message, boolean retryable) {
      return new Failed(
          UUID.randomUUID(),
          Instant.now(),
          run.jobId(),
          run.stageRunId(),
          run.stage(),
          run.attempt(),
          code,
          message,
          retryable);
    }
  }

  /** The attempt stopped because its job was cancelled. */
  record Cancelled(
      UUID eventId, Instant occurredAt, UUID jobId, UUID stageRunId, Stage stage, int attempt)
      implements StageEvent {
    public Cancelled {
      EventChecks.stageMessage(eventId, occurredAt, jobId, stageRunId, stage, attempt);
    }

    public static Cancelled of(StageRunRef run) {
      return new Cancelled(
          UUID.randomUUID(),
          Instant.now(),
          run.jobId(),
          run.stageRunId(),
          run.stage(),
          run.attempt());
    }
  }

  /**
   * The worker gave the attempt back before finishing it (it is shutting down): the orchestrator
   * dispatches the next attempt at once instead of waiting for the lease to run out.
   *
   * @param checkpointKey the checkpoint saved just before stopping, or null when there is none
   * @param checkpointStep its step, or null
   */
  record Released(
      UUID eventId,
      Instant occurredAt,
      UUID jobId,
      UUID stageRunId,
      Stage stage,
      int attempt,
      String workerId,
      String checkpointKey,
      Integer checkpointStep)
      implements StageEvent {
    public Released {
      EventChecks.stageMessage(eventId, occurredAt, jobId, stageRunId, stage, attempt);
      Objects.requireNonNull(workerId, "workerId");
      if ((checkpointKey == null) != (checkpointStep == null)) {
        throw new IllegalArgumentException(
            "a released attempt names both its checkpoint key and step, or neither");
      }
    }

    public static Released of(
        StageRunRef run, String workerId, String checkpointKey, Integer checkpointStep) {
      return new Released(
          UUID.randomUUID(),
          Instant.now(),
          run.jobId(),
          run.stageRunId(),
          run.stage(),
          run.attempt(),
          workerId,
          checkpointKey,
          checkpointStep);
    }
  }
}
