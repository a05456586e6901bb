package dev.vct.worker.stage;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Set from other threads (cancel messages, shutdown, rebalance, the database check); read by the
 * stage between steps and, through {@link StageContext#isStopRequested}, before every UNet pass.
 */
public final class CancellationToken {
  private final AtomicReference<Stop> stop = new AtomicReference<>();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private record Stop(StopReason reason, String detail) {}

  /** Asks the stage to stop; the first reason wins. */
  public void stop(StopReason why) {
    stop(why, why.name().toLowerCase(Locale.ROOT));
  }

  /** Asks the stage to stop, saying why in words for the worker's log; the first reason wins. */
  public void stop(StopReason why, String detail) {
    if (stop.compareAndSet(null, new Stop(why, detail))) {
      stopped.countDown();
    }
  }

  public Optional<StopReason> stopRequested() {
    return Optional.ofNullable(stop.get()).map(Stop::reason);
  }

  /** The words given with the stop that won, for logs; empty while no stop was requested. */
  public Optional<String> detail() {
    return Optional.ofNullable(stop.get()).map(Stop::detail);
  }

  public boolean isStopRequested() {
    return stop.get() != null;
  }

  /** Waits up to {@code timeout} for a stop request; true when one was made. */
  public boolean awaitStop(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Throws {@link StageStoppedException} when a stop was requested. */
  public void throwIfStopRequested() {
    Stop why = stop.get();
    if (why != null) {
      throw new StageStoppedException(why.reason());
    }
  }
}
