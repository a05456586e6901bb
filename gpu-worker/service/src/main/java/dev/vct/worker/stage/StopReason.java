package dev.vct.worker.stage;

/**
 * Why a running stage is asked to stop. Engine stages stop within one UNet pass: they abandon the
 * step in progress, and those that checkpoint first save their last completed step.
 */
public enum StopReason {
  /** The job was cancelled: stop at once, no checkpoint needed. */
  CANCELLED(false),
  /** The worker shuts down: checkpoint, then give the work back to the orchestrator. */
  DRAINING(true),
  /** Kafka moved the request's partition to another worker, which will resume it. */
  REASSIGNED(true),
  /**
   * The orchestrator dispatched a newer attempt of the stage run (this one's lease expired):
   * checkpoint, so that the newer attempt can resume further, then drop this one without reporting.
   */
  SUPERSEDED(true);

  private final boolean checkpointFirst;

  StopReason(boolean checkpointFirst) {
    this.checkpointFirst = checkpointFirst;
  }

  /** Whether the stage saves its state before it stops, so that the next run resumes there. */
  public boolean checkpointFirst() {
    return checkpointFirst;
  }
}
