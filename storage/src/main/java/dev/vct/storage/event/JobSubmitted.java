package dev.vct.storage.event;

import java.time.Instant;
import java.util.UUID;

/**
 * The gateway stored a new job (row and inputs); the orchestrator plans its stages. Topic {@link
 * Topics#JOB_SUBMITTED}.
 */
public record JobSubmitted(UUID eventId, Instant occurredAt, UUID jobId, UUID tenantId)
    implements VctEvent {

  public JobSubmitted {
    EventChecks.jobMessage(eventId, occurredAt, jobId, tenantId);
  }

  public static JobSubmitted of(UUID jobId, UUID tenantId) {
    return new JobSubmitted(UUID.randomUUID(), Instant.now(), jobId, tenantId);
  }
}
