package dev.vct.orchestrator.dispatch;

import dev.vct.storage.dispatch.DispatchQueue;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRunStatus;
import java.time.Instant;
import java.util.UUID;

/**
 * A stage run whose status the caller's transaction changed and has not written to the database
 * yet. A dispatch round in that transaction adds these to what it reads ({@link DispatchRound})
 * instead of flushing them first: a run queued and sent in one transaction (a job's first stages
 * when it is planned, its next stage when one succeeds) is then written once, in its final state.
 *
 * @param written the status the database holds; null when the run is not inserted yet
 * @param status the status the transaction gave it
 */
public record UnwrittenRun(
    UUID stageRunId,
    UUID jobId,
    UUID tenantId,
    int jobPriority,
    Instant jobCreatedAt,
    Stage stage,
    StageRunStatus written,
    StageRunStatus status) {

  /** Whether the round reads it as queued while the transaction has it queued no more, or not. */
  boolean leftQueue() {
    return written == StageRunStatus.QUEUED && status != StageRunStatus.QUEUED;
  }

  /** Whether the transaction queued it and the round cannot read it as queued. */
  boolean joinedQueue() {
    return status == StageRunStatus.QUEUED && written != StageRunStatus.QUEUED;
  }

  /** The change to its tenant's requests in flight: -1, 0 or 1. */
  int inFlightChange() {
    return (status.inFlight() ? 1 : 0) - (written != null && written.inFlight() ? 1 : 0);
  }

  DispatchQueue.Waiting waiting() {
    return new DispatchQueue.Waiting(stageRunId, jobId, jobPriority, jobCreatedAt, stage);
  }
}
