package dev.vct.storage.event;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Stop a job, or one superseded attempt of one of its stage runs. Topic {@link Topics#JOB_CANCEL}.
 *
 * <ul>
 *   <li>Whole job ({@code stageRunId} and {@code attempt} null): from the gateway to the
 *       orchestrator, and from the orchestrator to the workers, which stop the job's running stage
 *       between two optimization steps.
 *   <li>One attempt: from the orchestrator to the workers only, when a worker still reports on an
 *       attempt older than the stage run's current one (its lease expired and the stage was
 *       dispatched again). The worker running that exact attempt stops it between two steps, with a
 *       checkpoint, and sends nothing more about it; the job goes on. Workers older than this field
 *       read it as a whole-job cancel, so upgrade the workers before the orchestrator.
 * </ul>
 *
 * @param reason for people, for example "requested by the client"
 * @param stageRunId the stage run whose {@code attempt} to stop, or null for the whole job
 * @param attempt the attempt to stop, or null for the whole job
 */
public record CancelRequest(
    UUID eventId,
    Instant occurredAt,
    UUID jobId,
    UUID tenantId,
    String reason,
    UUID stageRunId,
    Integer attempt)
    implements VctEvent {

  public CancelRequest {
    EventChecks.jobMessage(eventId, occurredAt, jobId, tenantId);
    Objects.requireNonNull(reason, "reason");
    if ((stageRunId == null) != (attempt == null)) {
      throw new IllegalArgumentException(
          "a cancel names both a stage run and its attempt, or neither (the whole job)");
    }
    if (attempt != null && attempt < 1) {
      throw new IllegalArgumentException("attempt numbers start at 1, got " + attempt);
    }
  }

  /** Stops the whole job. */
  public static CancelRequest of(UUID jobId, UUID tenantId, String reason) {
    return new CancelRequest(UUID.randomUUID(), Instant.now(), jobId, tenantId, reason, null, null);
  }

  /** Stops only {@code superseded}, an attempt the orchestrator no longer accepts reports of. */
  public static CancelRequest ofAttempt(StageRunRef superseded, UUID tenantId, String reason) {
    return new CancelRequest(
        UUID.randomUUID(),
        Instant.now(),
        superseded.jobId(),
        tenantId,
        reason,
        superseded.stageRunId(),
        superseded.attempt());
  }

  /** Whether this cancels the whole job rather than one attempt of one stage run. */
  public boolean wholeJob() {
    return stageRunId == null;
  }
}
