package dev.vct.engine.vct;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Asked by a running stage before every UNet pass (a forward, with its backward where the stage
 * trains), so a stop takes effect within one pass. When it says stop, the stage abandons the step
 * in progress and returns with the state of its last completed step, intact, so that it can be
 * checkpointed and resumed; the resumed run redoes the abandoned step whole and ends bit-identical
 * to an uninterrupted one. (A content-inversion timestep holds up to {@code innerSteps} passes;
 * their work is redone rather than checkpointed mid-timestep.)
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
