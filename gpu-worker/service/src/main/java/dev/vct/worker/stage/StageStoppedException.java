package dev.vct.worker.stage;

/**
 * Thrown from {@link StageContext#stepCompleted} when the stage must stop between two steps, and
 * given by {@link StageContext#stoppedInsideStep} when it stopped inside one.
 */
public final class StageStoppedException extends RuntimeException {
  private final StopReason reason;

  public StageStoppedException(StopReason reason) {
    super("stage stopped: " + reason, null, false, false);
    this.reason = reason;
  }

  public StopReason reason() {
    return reason;
  }
}
