package dev.vct.engine.vct;

/**
 * Thrown inside a stage's step when its {@link Cancellation} says stop before a UNet pass. The
 * stage's {@code runUntil} catches it and returns with the state of its last completed step: the
 * step in progress is abandoned (nothing of it is kept), and a resumed run redoes it whole, which
 * keeps resume bit-identical.
 */
final class StopBeforePass extends RuntimeException {

  private StopBeforePass() {
    super("stop requested before a UNet pass", null, false, false);
  }

  /** Asked before every UNet pass of a stage. */
  static void check(Cancellation cancellation) {
    if (cancellation.isCancelled()) {
      throw new StopBeforePass();
    }
  }
}
