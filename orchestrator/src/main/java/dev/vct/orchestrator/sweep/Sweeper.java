package dev.vct.orchestrator.sweep;

import dev.vct.orchestrator.config.OrchestratorConfig;
import dev.vct.orchestrator.job.JobService;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.persistence.Clock;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * What no message triggers: queued jobs whose submit message was lost (the gateway writes the row
 * first), cancel flags the gateway set, stage runs whose lease ran out (their worker died), and
 * retries whose back-off passed. Each item is its own transaction in {@link JobService}, which
 * re-checks the condition under the job's lock, so replicas sweeping at once do no harm.
 *
 * <p>There is deliberately no deadline for a stage run that is {@code dispatched} but never
 * reported {@code started} (such a run has no lease yet). Its request cannot be lost on the way:
 * the outbox row is written in the transaction that dispatches the run and deleted only after the
 * broker acknowledged the record ({@code acks=all}), and a worker commits a request's offset only
 * after it sent the stage's outcome, so a worker that dies with it, even before {@code started},
 * leaves it to be delivered again. Nor can its events be lost: only records that are not valid
 * events go to the dead-letter topic (see {@code EventConsumers}). What such a deadline would meet
 * instead is a request that waits, legitimately, in its partition behind long stages (a fusion on a
 * busy pool takes many minutes): it cannot tell that from a lost one. A short deadline would
 * re-dispatch queued work, adding requests to the queues that are already the longest (the more
 * backlog, the more duplicates) and making the queued attempt stale; a long one would catch only
 * what the broker itself lost, which redundant brokers prevent. So the run waits for its request.
 */
@ApplicationScoped
public class Sweeper {
  private static final Logger LOG = Logger.getLogger(Sweeper.class);

  @Inject OrchestratorConfig config;
  @Inject JobService jobs;

  private volatile boolean stopping;

  @Scheduled(
      identity = "sweeper",
      every = "${vct.orchestrator.sweep-interval:1s}",
      delayed = "1s",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void sweep() {
    Instant now = Clock.now();
    each("plan", () -> unplannedJobs(now.minus(config.planGrace())), jobs::plan);
    each("cancel", this::cancelRequested, jobs::cancel);
    each(
        "expire lease",
        () ->
            QuarkusTransaction.requiringNew()
                .call(() -> StageRun.expiredLeases(now, config.sweepBatch()))
                .stream()
                .map(run -> new Attempt(run.id, run.attempt))
                .toList(),
        attempt -> jobs.leaseExpired(attempt.stageRunId(), attempt.attempt()));
    each(
        "retry",
        () ->
            QuarkusTransaction.requiringNew()
                .call(() -> StageRun.dueForRetry(now, config.sweepBatch()))
                .stream()
                .map(run -> run.id)
                .toList(),
        jobs::retryDue);
  }

  /**
   * Ends a sweep that is under way when the application stops, before the database goes away (the
   * scheduler skips new sweeps by itself); what is left is swept by the next start or a replica.
   */
  void stopping(@Observes ShutdownEvent event) {
    stopping = true;
  }

  private record Attempt(UUID stageRunId, int attempt) {}

  private List<UUID> unplannedJobs(Instant createdBefore) {
    return ids(
        "select j.id from jobs j where j.status = 'queued' and j.created_at < ?1"
            + " and not exists (select 1 from stage_runs s where s.job_id = j.id)"
            + " order by j.created_at limit ?2",
        createdBefore,
        config.sweepBatch());
  }

  private List<UUID> cancelRequested() {
    return ids(
        "select id from jobs where cancel_requested and status in ('queued', 'running')"
            + " limit ?1",
        config.sweepBatch());
  }

  @SuppressWarnings("unchecked")
  private static List<UUID> ids(String sql, Object... parameters) {
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              var query = StageRun.getEntityManager().createNativeQuery(sql, UUID.class);
              for (int i = 0; i < parameters.length; i++) {
                query.setParameter(i + 1, parameters[i]);
              }
              return (List<UUID>) query.getResultList();
            });
  }

  private <T> void each(String what, Supplier<List<T>> find, Consumer<T> action) {
    if (stopping) {
      return;
    }
    List<T> found;
    try {
      found = find.get();
    } catch (RuntimeException e) {
      if (stopping) {
        return; // Hibernate closed under this sweep at shutdown; the next start sweeps again
      }
      throw e;
    }
    for (T item : found) {
      if (stopping) {
        return;
      }
      try {
        action.accept(item);
      } catch (RuntimeException e) {
        if (!stopping) {
          LOG.warnf(e, "sweeper could not %s %s; the next sweep tries again", what, item);
        }
      }
    }
  }
}
