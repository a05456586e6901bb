package dev.vct.storage.event;

import dev.vct.storage.job.Stage;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/** The checks every message's constructor shares: its envelope, and whose message it is. */
final class EventChecks {
  private EventChecks() {}

  /** A message about one attempt of one stage run: envelope and {@link StageRunRef#check}. */
  static void stageMessage(
      UUID eventId, Instant occurredAt, UUID jobId, UUID stageRunId, Stage stage, int attempt) {
    envelope(eventId, occurredAt);
    StageRunRef.check(jobId, stageRunId, stage, attempt);
  }

  /** A message about a tenant's job as a whole. */
  static void jobMessage(UUID eventId, Instant occurredAt, UUID jobId, UUID tenantId) {
    envelope(eventId, occurredAt);
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(tenantId, "tenantId");
  }

  private static void envelope(UUID eventId, Instant occurredAt) {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(occurredAt, "occurredAt");
  }
}
