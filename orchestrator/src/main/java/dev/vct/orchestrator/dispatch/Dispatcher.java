package dev.vct.orchestrator.dispatch;

import dev.vct.orchestrator.config.OrchestratorConfig;
import dev.vct.orchestrator.job.JobService;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Sends queued stage runs to the workers, pool by pool, whenever a slot may have come free: woken
 * after a transaction of this replica queued a run or took one out of flight, and every {@code
 * vct.orchestrator.dispatch.interval} for what other replicas did. Each pass first resolves the
 * stage runs that waited for an identical run which has left the flight (single flight), then goes
 * over the pools; each pass over a pool is a {@link DispatchRound}; replicas take turns on a pool
 * through its rows' locks.
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

  /** Wakes the dispatcher once the caller's transaction commits (not if it rolls back). */
  public void wakeAfterCommit() {
    if (transactions.getResource(WAKE) != null) {
      return;
    }
    transactions.putResource(WAKE, Boolean.TRUE);
    transactions.registerInterposedSynchronization(
        new Synchronization() {
          @Override
          public void beforeCompletion() {}

          @Override
          public void afterCompletion(int status) {
            if (status == Status.STATUS_COMMITTED) {
              wake();
            }
          }
        });
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
          // again while it sends: a round skips the runs whose job another transaction holds
          while (!stopping && round.dispatch(pool, pools.slots(pool)) > 0) {}
        } catch (RuntimeException e) {
          if (!stopping) {
            LOG.warnf(e, "cannot dispatch to the %s pool now; trying again shortly", pool.name());
          }
        }
      }
    }
  }
}
