package dev.vct.engine.vct;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Asked by a running stage before every step: when it says stop, the stage returns after the step
 * in progress, with its state intact so that it can be checkpointed and resumed.
 */
@FunctionalInterface
public interface Cancellation {

  /** Never stops. */
  Cancellation NEVER = () -> false;

  boolean isCancelled();

  /** A cancellation flag that any thread may set. */
  static Flag flag() {
    return new Flag();
  }

  /** A settable {@link Cancellation}. */
  final class Flag implements Cancellation {
    private final AtomicBoolean cancelled = new AtomicBoolean();

    public void cancel() {
      cancelled.set(true);
    }

    @Override
    public boolean isCancelled() {
      return cancelled.get();
    }
  }
}
