package dev.vct.storage.event;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Stop a job: from the gateway to the orchestrator, and from the orchestrator to the workers, which
 * stop the job's running stage between two optimization steps. Topic {@link Topics#JOB_CANCEL}.
 *
 * @param reason for people, for example "requested by the client"
 */
public record CancelRequest(
    UUID eventId, Instant occurredAt, UUID jobId, UUID tenantId, String reason)
    implements VctEvent {

  public CancelRequest {
    EventChecks.jobMessage(eventId, occurredAt, jobId, tenantId);
    Objects.requireNonNull(reason, "reason");
  }

  public static CancelRequest of(UUID jobId, UUID tenantId, String reason) {
    return new CancelRequest(UUID.randomUUID(), Instant.now(), jobId, tenantId, reason);
  }
}
