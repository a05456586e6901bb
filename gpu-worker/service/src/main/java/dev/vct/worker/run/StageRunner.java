package dev.vct.worker.run;

import dev.vct.storage.blob.BlobKeys;
import dev.vct.storage.blob.BlobStore;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.job.Stage;
import dev.vct.worker.config.WorkerConfig;
import dev.vct.worker.report.StageEventSender;
import dev.vct.worker.stage.CancellationToken;
import dev.vct.worker.stage.Checkpoint;
import dev.vct.worker.stage.StageException;
import dev.vct.worker.stage.StageExecutor;
import dev.vct.worker.stage.StageResult;
import dev.vct.worker.stage.StageStoppedException;
import dev.vct.worker.stage.StopReason;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Runs stage requests on their own threads (at most {@code vct.worker.concurrency} at once), with
 * heartbeats, checkpoints and stop requests, and reports every outcome. The outcome event is sent
 * (and acknowledged by the broker) before the caller is told it may commit the request's offset.
 */
@ApplicationScoped
public class StageRunner {
  private static final Logger LOG = Logger.getLogger(StageRunner.class);

  /** The first wait before asking the database again when it did not answer. */
  private static final Duration FIRST_RETRY = Duration.ofMillis(200);

  private static final String DRAIN = "the worker drains (SIGTERM)";
  private static final String HANDED_OVER =
      "its partition moved to another worker, which resumes it";

  @Inject WorkerConfig config;
  @Inject WorkerIdentity identity;
  @Inject BlobStore blobs;
  @Inject StageEventSender sender;
  @Inject WorkerMetrics metrics;
  @Inject Instance<StageExecutor> allExecutors;
  @Inject AttemptCheck attemptCheck;

  private final Map<UUID, Running> running = new ConcurrentHashMap<>();
  private Map<Stage, StageExecutor> executors;
  private ExecutorService threads;
  private ScheduledExecutorService heartbeats;

  /** Checks running attempts against the database; apart, so a slow query delays no heartbeat. */
  private ScheduledExecutorService rechecks;

  private volatile Instant drainDeadline;

  /** Checks that every served stage has exactly one executor; called before consuming starts. */
  void init(Set<Stage> served) {
    Map<Stage, StageExecutor> byStage = new EnumMap<>(Stage.class);
    for (StageExecutor executor : allExecutors) {
      StageExecutor previous = byStage.put(executor.stage(), executor);
      if (previous != null && served.contains(executor.stage())) {
        throw new IllegalStateException(
            "two executors for "
                + executor.stage().code()
                + ": "
                + previous.getClass().getName()
                + " and "
                + executor.getClass().getName());
      }
    }
    for (Stage stage : served) {
      if (!byStage.containsKey(stage)) {
        throw new IllegalStateException(
            "this worker serves "
                + stage.code()
                + " (vct.worker.stages) but has no StageExecutor for it");
      }
    }
    for (Stage stage : served) {
      byStage.get(stage).warmUp();
    }
    executors = byStage;
    threads = Executors.newFixedThreadPool(config.concurrency(), named("stage-runner"));
    heartbeats = Executors.newSingleThreadScheduledExecutor(named("heartbeat"));
    rechecks = Executors.newSingleThreadScheduledExecutor(named("attempt-check"));
  }

  /**
   * Starts {@code request} on a stage thread. {@code firstDelivery}: no consumer read the request's
   * record before, so for its first attempt no checkpoint can exist. {@code done} receives true
   * when the request is finished with (its outcome reported, or nothing left to do) and its offset
   * may be committed, false when it must be redelivered (its partition moved to another worker, or
   * the outcome could not be sent before the drain deadline).
   */
  void start(StageRequest request, boolean firstDelivery, Consumer<Boolean> done) {
    Running run = new Running(request, firstDelivery, new CancellationToken());
    running.put(request.stageRunId(), run);
    if (drainDeadline != null) {
      run.token.stop(StopReason.DRAINING, DRAIN);
    }
    threads.execute(
        () -> {
          boolean commit = false;
          try {
            commit = execute(run);
          } catch (RuntimeException | Error e) {
            LOG.errorf(
                e, "stage runner failed on %s of job %s", request.stage().code(), request.jobId());
          } finally {
            running.remove(request.stageRunId(), run);
            done.accept(commit);
            run.ended.countDown();
          }
        });
  }

  /**
   * Stops every stage of {@code jobId} running here (or waiting for its check), except one whose
   * stage run the database says goes on. That is an inversion other jobs wait for, which the
   * orchestrator keeps running after its own job ended (single flight), or a run whose job's cancel
   * the orchestrator has not applied yet (the client's cancel reaches the workers and the
   * orchestrator at once): the orchestrator sends its own cancel once it has (a stop per attempt
   * where it keeps another stage of the job), and the periodic check stops it as well. A stage run
   * the database does not know, or a database that does not answer, stops as the message says.
   * Requests of the job that start later are stopped by their check: the orchestrator records the
   * job's end before it sends the cancel.
   */
  void cancelJob(UUID jobId, String why) {
    running.values().stream()
        .filter(r -> r.request.jobId().equals(jobId))
        .forEach(
            r -> {
              String goesOn = goesOn(r.request);
              if (goesOn != null) {
                LOG.infof(
                    "cancel of job %s: its %s goes on, the database says %s",
                    jobId, r.request.stage().code(), goesOn);
              } else {
                r.token.stop(StopReason.CANCELLED, "cancel message: " + why);
              }
            });
  }

  /** Why the database says {@code request}'s attempt goes on; null when it does not say so. */
  private String goesOn(StageRequest request) {
    try {
      AttemptCheck.Verdict verdict = attemptCheck.verdict(request.run());
      return verdict.live() && verdict.known() ? verdict.reason() : null;
    } catch (SQLException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Stops {@code attempt} of the stage run if it runs here: the orchestrator dispatched a newer
   * attempt. Another attempt of the same stage run (the newer one, say) goes on.
   */
  void supersede(UUID stageRunId, int attempt, String why) {
    Running run = running.get(stageRunId);
    if (run != null && run.request.attempt() == attempt) {
      run.token.stop(StopReason.SUPERSEDED, "stop message: " + why);
    }
  }

  /** Stops one attempt, for example because its partition moved to another worker. */
  void stop(UUID stageRunId, StopReason why) {
    Running run = running.get(stageRunId);
    if (run != null) {
      if (why == StopReason.REASSIGNED) {
        run.token.stop(why, HANDED_OVER);
      } else {
        run.token.stop(why);
      }
    }
  }

  /**
   * Hands one attempt over to the worker that now owns its request's partition: asks it to stop
   * within one UNet pass with a checkpoint of its last completed step (reported and flushed to the
   * broker), and waits up to {@code timeout} until it stopped. No event is sent for it: the new
   * owner reads the same request (never committed) and resumes the same attempt from that
   * checkpoint.
   *
   * @return true when the attempt stopped within {@code timeout} (or was not running here)
   */
  boolean handOver(UUID stageRunId, Duration timeout) throws InterruptedException {
    Running run = running.get(stageRunId);
    if (run == null) {
      return true;
    }
    run.token.stop(StopReason.REASSIGNED, HANDED_OVER);
    return run.ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Asks every running stage to checkpoint and give its work back; new requests are not run. */
  void drain() {
    drainDeadline = Instant.now().plus(config.drainTimeout());
    running.values().forEach(r -> r.token.stop(StopReason.DRAINING, DRAIN));
  }

  int runningCount() {
    return running.size();
  }

  /** The oldest running attempt's start, for health details. */
  Optional<Instant> oldestStart() {
    return running.values().stream().map(r -> r.startedAt).min(Comparator.naturalOrder());
  }

  void close(@Observes @Priority(5_000) ShutdownEvent event) throws InterruptedException {
    if (threads != null) {
      threads.shutdown();
      threads.awaitTermination(5, TimeUnit.SECONDS);
      heartbeats.shutdownNow();
      rechecks.shutdownNow();
    }
  }

  private boolean execute(Running run) {
    StageRequest request = run.request;
    StageRunRef ref = request.run();
    Optional<Boolean> notRun = checkBeforeStart(run);
    if (notRun.isPresent()) {
      return notRun.get();
    }
    if (Instant.now().isAfter(request.deadline())) {
      String message = "the request waited in its topic past its deadline " + request.deadline();
      log("finished", request, null, "failed request_expired: " + message);
      return report(StageEvent.Failed.of(ref, "request_expired", message, true));
    }
    Instant began = Instant.now();
    StageExecutor executor = executors.get(request.stage());
    Optional<Checkpoint> resumeFrom = furthestCheckpoint(request, run.firstDelivery);
    metrics.queued(request.stage(), Duration.between(request.occurredAt(), run.startedAt).abs());
    resumeFrom.ifPresent(c -> metrics.resumed(request.stage()));
    if (resumeFrom.isPresent()) {
      log("resumed", request, resumeFrom.get().step(), "from " + resumeFrom.get().blobKey());
    } else {
      log("started", request, 0, run.firstDelivery ? "first delivery" : "no checkpoint saved");
    }
    // Held back for a moment, and folded into the success of a stage that ends by then. Sent
    // without waiting: one producer keeps a job's events in order, so the outcome, which is awaited
    // before the request is committed, cannot arrive before this report.
    AttemptReports reports =
        AttemptReports.started(
            sender,
            StageEvent.Started.of(
                ref, identity.id(), resumeFrom.map(Checkpoint::step).orElse(null)),
            config.startedReportDelay(),
            heartbeats);
    RunContext context =
        new RunContext(
            ref,
            blobs,
            reports,
            config,
            run.token,
            resumeFrom,
            () -> metrics.checkpointed(request.stage()));
    Duration interval = config.heartbeatInterval();
    ScheduledFuture<?> heartbeat =
        heartbeats.scheduleAtFixedRate(
            () -> {
              // A handed-over attempt is the new owner's to keep alive; if this thread stayed
              // stuck in a step, its heartbeats must not hold the lease. A superseded one is
              // nobody's: its heartbeats would only ask the orchestrator to stop it again.
              StopReason stop = run.token.stopRequested().orElse(null);
              if (stop != StopReason.REASSIGNED && stop != StopReason.SUPERSEDED) {
                reports.send(StageEvent.Heartbeat.of(ref, identity.id()));
              }
            },
            interval.toMillis(),
            interval.toMillis(),
            TimeUnit.MILLISECONDS);
    Duration every = config.attemptCheck().every();
    ScheduledFuture<?> recheck =
        rechecks.scheduleWithFixedDelay(
            () -> recheck(run), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    String outcome = "failed";
    try {
      StageResult result = executor.run(request, context);
      outcome = "succeeded";
      log(
          "finished",
          request,
          context.lastStep(),
          "succeeded in " + seconds(Duration.between(began, Instant.now())));
      return reports.succeeded(result.outputs(), result.metrics(), giveUpAt());
    } catch (StageStoppedException stopped) {
      outcome = stopped.reason().name().toLowerCase(Locale.ROOT);
      log(
          "stopped",
          request,
          context.lastStep(),
          stopReason(stopped.reason(), run.token)
              + context
                  .lastCheckpoint()
                  .map(c -> ", last checkpoint at step " + c.step())
                  .orElse(""));
      return switch (stopped.reason()) {
        case CANCELLED -> report(reports, StageEvent.Cancelled.of(ref));
        case DRAINING -> {
          Optional<Checkpoint> last = context.lastCheckpoint();
          yield report(
              reports,
              StageEvent.Released.of(
                  ref,
                  identity.id(),
                  last.map(Checkpoint::blobKey).orElse(null),
                  last.map(Checkpoint::step).orElse(null)));
        }
        // The partition's new owner reads the request again and resumes the same attempt from
        // the checkpoint just saved; this worker's last reports go out before it does.
        case REASSIGNED -> {
          reports.flush();
          yield false;
        }
        // The orchestrator ignores this attempt's reports now (a start still held back included);
        // the newer attempt's request, next in the partition, finds the checkpoint just saved
        // under the stage run's prefix.
        case SUPERSEDED -> true;
      };
    } catch (Throwable failure) {
      StageException error = StageException.classify(failure);
      LOG.warnf(
          failure,
          "%s of job %s attempt %d failed (%s)",
          request.stage().code(),
          request.jobId(),
          request.attempt(),
          error.code());
      log(
          "finished",
          request,
          context.lastStep(),
          "failed "
              + error.code()
              + (error.retryable() ? " (retryable): " : ": ")
              + error.getMessage());
      return report(
          reports, StageEvent.Failed.of(ref, error.code(), error.getMessage(), error.retryable()));
    } finally {
      heartbeat.cancel(false);
      recheck.cancel(false);
      // every report of the attempt sent its start first; one that ended without a report
      // (superseded) has nobody to tell
      reports.discard();
      metrics.stageEnded(request.stage(), outcome, Duration.between(run.startedAt, Instant.now()));
    }
  }

  /**
   * Asks the database whether the attempt may start; while it does not answer, asks again (200 ms,
   * doubling up to {@code vct.worker.attempt-check.retry-cap}): a request is never skipped because
   * the check failed. Stops requested meanwhile are honoured.
   *
   * @return empty when the attempt is to run; else whether its request is finished with (true:
   *     commit it without running it) or must be read again by the partition's next owner (false)
   */
  private Optional<Boolean> checkBeforeStart(Running run) {
    StageRequest request = run.request;
    Duration wait = FIRST_RETRY;
    int failures = 0;
    while (true) {
      Optional<StopReason> stop = run.token.stopRequested();
      if (stop.isPresent()) {
        String detail = run.token.detail().orElse("");
        return Optional.of(
            switch (stop.get()) {
              case CANCELLED, SUPERSEDED -> {
                skipped(request, stop.get(), detail);
                yield true;
              }
              case DRAINING, REASSIGNED -> {
                log(
                    "stopped",
                    request,
                    null,
                    stopReason(stop.get(), run.token)
                        + " before it started; its request is left to the partition's next owner");
                yield false;
              }
            });
      }
      try {
        AttemptCheck.Verdict verdict = attemptCheck.verdict(request.run());
        if (failures > 0) {
          LOG.infof(
              "the database answers again after %d failed checks of %s of job %s",
              failures, request.stage().code(), request.jobId());
        }
        if (!verdict.known()) {
          LOG.warnf(
              "check of %s of job %s attempt %d: %s",
              request.stage().code(), request.jobId(), request.attempt(), verdict.reason());
        }
        if (verdict.live()) {
          return Optional.empty();
        }
        run.token.stop(verdict.stopAs(), verdict.reason());
        skipped(request, verdict.stopAs(), verdict.reason());
        return Optional.of(true);
      } catch (SQLException | RuntimeException e) {
        failures++;
        if (failures == 1 || failures % 10 == 0) {
          LOG.warnf(
              "cannot check %s of job %s attempt %d against the database (%d tries: %s); the"
                  + " request waits and is checked again in %d ms",
              request.stage().code(),
              request.jobId(),
              request.attempt(),
              failures,
              e.getMessage(),
              wait.toMillis());
        }
        try {
          run.token.awaitStop(wait);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          log("stopped", request, null, "interrupted before it started; its request is read again");
          return Optional.of(false);
        }
        Duration cap = config.attemptCheck().retryCap();
        wait = wait.multipliedBy(2).compareTo(cap) > 0 ? cap : wait.multipliedBy(2);
      }
    }
  }

  private void skipped(StageRequest request, StopReason why, String detail) {
    metrics.skipped(request.stage(), why.name().toLowerCase(Locale.ROOT));
    log("skipped", request, null, detail + "; its request is committed without running");
  }

  /**
   * Asks the database again about a running attempt, in case its stop message never reaches this
   * worker; a dead attempt is stopped within one UNet pass. A failed query changes nothing.
   */
  private void recheck(Running run) {
    if (run.token.isStopRequested()) {
      return;
    }
    try {
      AttemptCheck.Verdict verdict = attemptCheck.verdict(run.request.run());
      if (!verdict.live()) {
        run.token.stop(verdict.stopAs(), "database check: " + verdict.reason());
      }
    } catch (SQLException | RuntimeException e) {
      LOG.debugf(
          "could not check running %s of job %s again: %s",
          run.request.stage().code(), run.request.jobId(), e.getMessage());
    }
  }

  /**
   * One line per change of a stage attempt on this worker ({@code what}: started, resumed, stopped,
   * skipped, finished), the same shape every time, so that a job's story on a worker can be grepped
   * by its id.
   */
  private void log(String what, StageRequest request, Integer step, String reason) {
    LOG.infof(
        "stage %s: %s job=%s stage-run=%s attempt=%d step=%s worker=%s reason=%s",
        what,
        request.stage().code(),
        request.jobId(),
        request.stageRunId(),
        request.attempt(),
        step == null ? "-" : step.toString(),
        identity.id(),
        reason);
  }

  /** The stop's reason, with the words it came with when they say more. */
  private static String stopReason(StopReason why, CancellationToken token) {
    String name = why.name().toLowerCase(Locale.ROOT);
    String detail = token.detail().orElse(name);
    return detail.equals(name) ? name : name + " (" + detail + ")";
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  /**
   * The checkpoint with the most steps among the one the request names and those saved under the
   * stage run's prefix (by any earlier attempt, also one the orchestrator had not heard of yet, or
   * by this attempt on a worker that died). The first delivery of a first attempt finds nothing
   * there, so it skips listing the prefix.
   */
  private Optional<Checkpoint> furthestCheckpoint(StageRequest request, boolean firstDelivery) {
    Stream<Checkpoint> saved =
        firstDelivery && request.attempt() == 1
            ? Stream.empty()
            : blobs.list(BlobKeys.checkpointPrefix(request.stageRunId())).stream()
                .map(Checkpoint::fromKey)
                .flatMap(Optional::stream);
    return Stream.concat(Checkpoint.fromKey(request.resumeFromCheckpoint()).stream(), saved)
        .filter(c -> blobs.exists(c.blobKey()))
        .max(Comparator.comparingInt(Checkpoint::step));
  }

  private boolean report(StageEvent outcome) {
    return sender.sendAndWait(outcome, giveUpAt());
  }

  private boolean report(AttemptReports reports, StageEvent outcome) {
    return reports.ended(outcome, giveUpAt());
  }

  /** How long an outcome is retried through broker outages: until the drain's deadline. */
  private Instant giveUpAt() {
    return drainDeadline != null ? drainDeadline : Instant.MAX;
  }

  private static ThreadFactory named(String name) {
    return task -> {
      Thread thread = new Thread(task, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  private static final class Running {
    final StageRequest request;
    final boolean firstDelivery;
    final CancellationToken token;
    final Instant startedAt = Instant.now();
    final CountDownLatch ended = new CountDownLatch(1);

    Running(StageRequest request, boolean firstDelivery, CancellationToken token) {
      this.request = request;
      this.firstDelivery = firstDelivery;
      this.token = token;
    }
  }
}
