package dev.vct.orchestrator.metrics;

import dev.vct.orchestrator.transaction.AfterCompletion;
import dev.vct.storage.embedding.EmbeddingKind;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Status;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.time.Duration;

/**
 * The orchestrator's meters (Prometheus at /q/metrics). Recorded only when the transaction that
 * made the change commits, so a rolled-back and redelivered event counts once.
 */
@ApplicationScoped
public class OrchestratorMetrics {
  @Inject MeterRegistry registry;
  @Inject TransactionSynchronizationRegistry transactions;

  /** From a stage's start (as its worker reported) to its success. */
  public void stageSucceeded(Stage stage, Duration ran) {
    afterCommit(
        () ->
            Timer.builder("vct.stage.duration")
                .description("Time from a stage attempt's start to its success")
                .tag("stage", stage.code())
                .publishPercentileHistogram()
                .register(registry)
                .record(ran));
  }

  /** From dispatch to a worker's start: how long the request waited in the stage topic. */
  public void stageStarted(Stage stage, Duration waited, boolean resumed) {
    afterCommit(
        () -> {
          Timer.builder("vct.stage.queue.lag")
              .description("Time from dispatching a stage request to a worker starting it")
              .tag("stage", stage.code())
              .publishPercentileHistogram()
              .register(registry)
              .record(waited);
          if (resumed) {
            registry.counter("vct.stage.resumes", "stage", stage.code()).increment();
          }
        });
  }

  /** A stage attempt is retried; {@code reason} is {@code failure}, {@code lease_expired}. */
  public void retry(Stage stage, String reason) {
    afterCommit(
        () ->
            registry
                .counter("vct.stage.retries", "stage", stage.code(), "reason", reason)
                .increment());
  }

  /**
   * From a stage attempt's {@code queued} to its dispatch: how long it waited for a slot of its
   * pool (and for the dispatcher's round).
   */
  public void stageDispatched(Stage stage, Duration queued) {
    afterCommit(
        () ->
            Timer.builder("vct.stage.queued")
                .description("Time a stage attempt waited queued before its request was sent")
                .tag("stage", stage.code())
                .publishPercentileHistogram()
                .register(registry)
                .record(queued));
  }

  /**
   * One dispatch round over {@code pool}: {@code outcome} is {@code idle} (nothing waited), {@code
   * full} (runs waited and no slot was free), {@code sent} (it sent {@code sent} requests) or
   * {@code skipped} (free slots and waiting runs, but their jobs were held by other transactions or
   * had changed); {@code locked} whether it took the pool's row locks (a round that only looked is
   * read-only).
   */
  public void dispatchRound(String pool, String outcome, boolean locked, int sent) {
    afterCommit(
        () -> {
          registry
              .counter(
                  "vct.dispatch.rounds",
                  "pool",
                  pool,
                  "outcome",
                  outcome,
                  "locked",
                  Boolean.toString(locked))
              .increment();
          if (sent > 0) {
            registry.counter("vct.dispatch.sent", "pool", pool).increment(sent);
          }
        });
  }

  /** A worker gave a stage back (it drains) and the stage was re-dispatched at once. */
  public void released(Stage stage) {
    afterCommit(() -> registry.counter("vct.stage.released", "stage", stage.code()).increment());
  }

  public void embeddingLookup(EmbeddingKind kind, boolean hit) {
    afterCommit(
        () ->
            registry
                .counter("vct.embedding.cache", "kind", kind.code(), "result", hit ? "hit" : "miss")
                .increment());
  }

  /**
   * Single flight of an inversion: {@code waited} (an identical run was in flight), {@code shared}
   * (a waiter took its output), {@code took_over} (a waiter runs it after it failed or was
   * cancelled), {@code failed} (a waiter failed with a rerun that failed).
   */
  public void singleFlight(EmbeddingKind kind, String outcome) {
    afterCommit(
        () ->
            registry
                .counter("vct.single_flight", "kind", kind.code(), "outcome", outcome)
                .increment());
  }

  /** An event of a fenced-off attempt, a finished stage or a finished job: ignored. */
  public void staleEvent(Stage stage) {
    afterCommit(
        () -> registry.counter("vct.stage.events.stale", "stage", stage.code()).increment());
  }

  public void jobFinished(JobStatus status, Duration total) {
    afterCommit(
        () ->
            Timer.builder("vct.job.duration")
                .description("Time from a job's creation to its terminal state")
                .tag("status", status.code())
                .publishPercentileHistogram()
                .register(registry)
                .record(total));
  }

  private void afterCommit(Runnable record) {
    AfterCompletion.register(
        transactions,
        status -> {
          if (status == Status.STATUS_COMMITTED) {
            record.run();
          }
        });
  }
}
