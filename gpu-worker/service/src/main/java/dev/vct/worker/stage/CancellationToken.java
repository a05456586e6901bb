package dev.vct.worker.stage;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Set from other threads (cancel messages, shutdown, rebalance); read by the stage between steps.
 */
public final class CancellationToken {
  private final AtomicReference<StopReason> reason = new AtomicReference<>();

  /** Asks the stage to stop; the first reason wins. */
  public void stop(StopReason why) {
    reason.compareAndSet(null, why);
  }

  public Optional<StopReason> stopRequested() {
    return Optional.ofNullable(reason.get());
  }

  public boolean isStopRequested() {
    return reason.get() != null;
  }

  /** Throws {@link StageStoppedException} when a stop was requested. */
  public void throwIfStopRequested() {
    StopReason why = reason.get();
    if (why != null) {
      throw new StageStoppedException(why);
    }
  }
}
