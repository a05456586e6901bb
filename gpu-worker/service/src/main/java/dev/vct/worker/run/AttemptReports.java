package dev.vct.worker.run;

import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.StageEvent;
import dev.vct.worker.report.StageEventSender;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The reports of one attempt, in order. Its {@link StageEvent.Started} is held back for {@code
 * vct.worker.started-report-delay}: a stage that succeeds within that time sends one event, its
 * {@link StageEvent.Succeeded} carrying the start ({@code unreportedStart}), and saves the
 * orchestrator a transaction. Otherwise the {@code Started} goes out when the delay ends or before
 * any other report of the attempt, whichever comes first, so the orchestrator sees the attempt's
 * reports in the order they were made. Exactly one of the two happens, whichever thread gets there
 * first: the timer, the stage's thread or the heartbeat's.
 */
final class AttemptReports {
  private final StageEventSender sender;
  private final StageEvent.Started started;

  /** Whether {@link #started} is neither sent nor folded into the success; guarded by this. */
  private boolean pending = true;

  private ScheduledFuture<?> timer; // guarded by this

  private AttemptReports(StageEventSender sender, StageEvent.Started started) {
    this.sender = sender;
    this.started = started;
  }

  /**
   * Reports the start of an attempt: at once when {@code delay} is zero, else after {@code delay}
   * on {@code timers} unless another report or the outcome comes first.
   */
  static AttemptReports started(
      StageEventSender sender,
      StageEvent.Started started,
      Duration delay,
      ScheduledExecutorService timers) {
    AttemptReports reports = new AttemptReports(sender, started);
    if (delay.isZero() || delay.isNegative()) {
      reports.sendStart();
    } else {
      synchronized (reports) {
        reports.timer = timers.schedule(reports::sendStart, delay.toNanos(), TimeUnit.NANOSECONDS);
      }
    }
    return reports;
  }

  /**
   * Sends a report without waiting for the broker (progress, heartbeat, checkpoint), after the
   * held-back start.
   */
  void send(StageEvent report) {
    sendStart();
    sender.send(report);
  }

  /**
   * Sends the attempt's success and waits for the broker; it carries the start when no {@code
   * Started} was sent.
   *
   * @return true once the broker acknowledged it, false when {@code giveUpAt} passed first
   */
  boolean succeeded(
      Map<BlobRole, String> outputKeys, Map<String, Double> metrics, Instant giveUpAt) {
    StageEvent.AttemptStart unreported = fold();
    return sender.sendAndWait(
        StageEvent.Succeeded.of(started.run(), outputKeys, metrics, unreported), giveUpAt);
  }

  /**
   * Sends an outcome other than success (failed, cancelled, released) after the held-back start,
   * and waits for the broker.
   *
   * @return true once the broker acknowledged it, false when {@code giveUpAt} passed first
   */
  boolean ended(StageEvent outcome, Instant giveUpAt) {
    if (outcome instanceof StageEvent.Succeeded) {
      throw new IllegalArgumentException("a success is sent by succeeded(...), with its start");
    }
    sendStart();
    return sender.sendAndWait(outcome, giveUpAt);
  }

  /** Sends the held-back start and waits until every report sent so far reached the broker. */
  void flush() {
    sendStart();
    sender.flush();
  }

  /**
   * Forgets the start if it is still held back: the attempt ended without a report (superseded: the
   * orchestrator ignores its reports).
   */
  synchronized void discard() {
    settle();
  }

  /** Whether the start is still held back (neither sent nor folded); for tests. */
  synchronized boolean startPending() {
    return pending;
  }

  /**
   * Sends the start unless it was sent or folded. The send happens under the lock, so a report that
   * another thread sends after this returns follows the start in the producer.
   */
  private synchronized void sendStart() {
    if (settle()) {
      sender.send(started);
    }
  }

  /** Takes the start for the success; null when it was sent already. */
  private synchronized StageEvent.AttemptStart fold() {
    return settle() ? started.asStart() : null;
  }

  /** Ends the wait: true for the one caller that found the start still held back. */
  private boolean settle() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    boolean wasPending = pending;
    pending = false;
    return wasPending;
  }
}
