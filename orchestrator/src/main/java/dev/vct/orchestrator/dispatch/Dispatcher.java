package dev.vct.orchestrator.dispatch;

import dev.vct.orchestrator.config.OrchestratorConfig;
import dev.vct.orchestrator.job.JobService;
import dev.vct.orchestrator.transaction.AfterCompletion;
import dev.vct.storage.job.Stage;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Status;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.hibernate.FlushMode;
import org.hibernate.Session;
import org.jboss.logging.Logger;

/**
 * Sends queued stage runs to the workers, pool by pool, whenever a slot may have come free. The
 * transactions that apply workers' reports and plan submitted jobs send first, before they commit
 * ({@link #dispatchNow}): a stage's success and its job's next request are one transaction, so the
 * next request leaves without a second commit or a thread hop. This thread does what those left
 * (runs of jobs that another transaction held, slots that a sweep, a cancel or another replica
 * freed): woken after a transaction of this replica queued a run or took one out of flight, and
 * every {@code vct.orchestrator.dispatch.interval} for what other replicas did. Each pass first
 * resolves the stage runs that waited for an identical run which has left the flight (single
 * flight), then goes over the pools; each pass over a pool is a {@link DispatchRound}; replicas and
 * transactions take turns on a pool through its rows' locks.
 */
@ApplicationScoped
public class Dispatcher {
  private static final Logger LOG = Logger.getLogger(Dispatcher.class);
  private static final Object WAKE = new Object();

  /** How many waiting stage runs one pass resolves at most; a pass that resolves some wakes it. */
  private static final int WAITERS_PER_PASS = 500;

  @Inject OrchestratorConfig config;
  @Inject WorkerPools pools;
  @Inject DispatchRound round;
  @Inject JobService jobs;
  @Inject TransactionSynchronizationRegistry transactions;
  @Inject EntityManager em;

  private final Semaphore signal = new Semaphore(0);
  private volatile boolean stopping;
  private Thread thread;

  void start(@Observes StartupEvent event) {
    thread = new Thread(this::run, "dispatcher");
    thread.setDaemon(true);
    thread.start();
  }

  void stop(@Observes ShutdownEvent event) throws InterruptedException {
    stopping = true;
    wake();
    if (thread != null) {
      thread.join(10_000);
    }
  }

  /**
   * The caller's transaction queued a run of {@code stage} or took one out of flight: wakes the
   * dispatcher once it commits (not if it rolls back), and {@link #dispatchNow} in it serves the
   * stage's pool.
   */
  public void wakeAfterCommit(Stage stage) {
    Changes changes = changes();
    changes.stages.add(stage);
    changes.settled = false;
  }

  /**
   * The dispatcher thread has work besides the pools once the caller's transaction commits (runs
   * that waited for one that left the flight, single flight): wakes it then, whatever the
   * transaction's own rounds did.
   */
  public void wakeAfterCommit() {
    changes().always = true;
  }

  /**
   * {@code run}, which holds a cache key's flight (single flight), left the flight in the caller's
   * transaction: the runs that wait for it, if any, are resolved on the dispatcher thread after the
   * commit. Whether any wait is read once per transaction, in {@link #dispatchNow}, and only when
   * its rounds would not wake the thread anyway.
   */
  public void wakeForWaitersOf(UUID run) {
    changes().leftFlight.add(run);
  }

  /** The caller's transaction's changes, registered to wake the thread at its commit. */
  private Changes changes() {
    Changes changes = (Changes) transactions.getResource(WAKE);
    if (changes != null) {
      return changes;
    }
    Changes fresh = new Changes(EnumSet.noneOf(Stage.class));
    transactions.putResource(WAKE, fresh);
    AfterCompletion.register(
        transactions,
        status -> {
          if (status == Status.STATUS_COMMITTED && (fresh.always || !fresh.settled)) {
            wake();
          }
        });
    return fresh;
  }

  /**
   * What a transaction changed for the dispatcher: the stages whose runs it queued or took out of
   * flight, and whether its own rounds left nothing for the dispatcher thread to do there.
   */
  private static final class Changes {
    final Set<Stage> stages;
    final Set<UUID> leftFlight = new HashSet<>();
    boolean settled;
    boolean always;

    Changes(Set<Stage> stages) {
      this.stages = stages;
    }
  }

  /**
   * In the caller's transaction, one {@link DispatchRound} over each pool whose stages it queued or
   * took out of flight, in pool order (so two transactions lock pools in the same order): the runs
   * it made sendable leave in its own commit. The caller holds its jobs' rows, which the round may
   * send; runs of jobs that other transactions hold are left to the dispatcher thread, which the
   * commit wakes. When every round filled its pool's free slots or its queue (nothing left that the
   * thread could send), the commit does not wake the thread: under load, a wake-up per reporting
   * transaction made it count full pools dozens of times a second.
   */
  public void dispatchNow() {
    Changes changes = (Changes) transactions.getResource(WAKE);
    if (changes == null || changes.stages.isEmpty()) {
      return;
    }
    // No flush before the rounds: each adds the runs this transaction changed and has not written
    // to what it reads, so a run queued and sent here is written once, at the commit, as sent.
    // Nothing in the rounds may flush: their queries would then see those changes twice.
    Session session = em.unwrap(Session.class);
    FlushMode flushMode = session.getHibernateFlushMode();
    session.setHibernateFlushMode(FlushMode.COMMIT);
    try {
      boolean settled = true;
      for (WorkerPools.Pool pool : pools.pools()) {
        if (pool.stages().stream().anyMatch(changes.stages::contains)) {
          List<UnwrittenRun> own = jobs.unwrittenRuns(pool.stages());
          settled &= round.dispatch(pool, pools.slots(pool), false, own).settled();
        }
      }
      changes.settled = settled;
      if (settled && !changes.always && !changes.leftFlight.isEmpty() && anyWaitFor(changes)) {
        changes.always = true;
      }
    } finally {
      session.setHibernateFlushMode(flushMode);
    }
  }

  /**
   * Whether a stage run waits for one of the runs that left the flight (single flight). Those that
   * wait are other transactions' (this one's own changes are not written yet).
   */
  private boolean anyWaitFor(Changes changes) {
    return !em.createNativeQuery(
            "select 1 from stage_runs where status = 'waiting' and waiting_for in (?1) limit 1")
        .setParameter(1, List.copyOf(changes.leftFlight))
        .getResultList()
        .isEmpty();
  }

  private void wake() {
    if (signal.availablePermits() == 0) {
      signal.release();
    }
  }

  /**
   * Resolves the stage runs that waited for an identical run which has left the flight (single
   * flight): each takes its output, or runs itself, or waits for the waiter that took it over.
   */
  private void resolveWaiting() {
    List<UUID> unblocked;
    try {
      unblocked = jobs.unblockedWaiters(WAITERS_PER_PASS);
    } catch (RuntimeException e) {
      if (!stopping) {
        LOG.warnf(e, "cannot read the waiting stage runs now; trying again shortly");
      }
      return;
    }
    for (UUID run : unblocked) {
      if (stopping) {
        return;
      }
      try {
        jobs.resolveWaiting(run);
      } catch (RuntimeException e) {
        if (!stopping) {
          LOG.warnf(e, "cannot resolve waiting stage run %s now; trying again shortly", run);
        }
      }
    }
  }

  private void run() {
    while (!stopping) {
      try {
        signal.tryAcquire(config.dispatch().interval().toMillis(), TimeUnit.MILLISECONDS);
        signal.drainPermits();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      resolveWaiting();
      for (WorkerPools.Pool pool : pools.pools()) {
        if (stopping) {
          return;
        }
        try {
          // again while it sends and leaves some: it skips the runs whose job another
          // transaction holds
          DispatchRound.Result result;
          do {
            result = round.dispatch(pool, pools.slots(pool), true);
          } while (!stopping && result.sent() > 0 && !result.settled());
        } catch (RuntimeException e) {
          if (!stopping) {
            LOG.warnf(e, "cannot dispatch to the %s pool now; trying again shortly", pool.name());
          }
        }
      }
    }
  }
}
