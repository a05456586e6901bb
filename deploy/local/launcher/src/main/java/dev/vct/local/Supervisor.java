package dev.vct.local;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Starts servers in order, restarts any that dies on its own (backing off from {@link
 * #FIRST_BACKOFF} up to {@link #MAX_BACKOFF} while it keeps dying), and stops them all in reverse
 * order on {@link #close()}.
 */
public final class Supervisor implements AutoCloseable {

  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** A run that lasted this long resets the backoff. */
  private static final Duration HEALTHY_RUN = Duration.ofMinutes(1);

  private final PrintStream log;

  /** What each {@link #startAll} call started, in start order; stopped batch by batch. */
  private final List<List<ManagedServer>> batches = new ArrayList<>();

  private final Map<ManagedServer, Duration> backoff = new HashMap<>();
  private final ScheduledExecutorService restarts =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "vct-supervisor");
            t.setDaemon(true);
            return t;
          });
  private volatile boolean closing;

  public Supervisor(PrintStream log) {
    this.log = log;
  }

  /**
   * Starts {@code toStart} side by side, waits until each answers, and watches them from then on.
   * When one fails to start, the others are stopped again and the failure is thrown.
   */
  public void startAll(List<? extends ManagedServer> toStart) {
    if (closing) {
      throw new IllegalStateException("the supervisor is shutting down");
    }
    List<CompletableFuture<ManagedServer>> starting = new ArrayList<>();
    for (ManagedServer server : toStart) {
      starting.add(
          CompletableFuture.supplyAsync(
              () -> {
                server.start();
                return server;
              },
              runnable -> {
                Thread t = new Thread(runnable, "vct-start-" + server.name());
                t.setDaemon(true);
                t.start();
              }));
    }
    RuntimeException failure = null;
    List<ManagedServer> started = new ArrayList<>();
    for (CompletableFuture<ManagedServer> future : starting) {
      try {
        started.add(future.join());
      } catch (CompletionException e) {
        RuntimeException cause =
            e.getCause() instanceof RuntimeException r
                ? r
                : new IllegalStateException(e.getCause());
        if (failure == null) {
          failure = cause;
        } else {
          failure.addSuppressed(cause);
        }
      }
    }
    if (failure != null) {
      for (ManagedServer server : started) {
        server.stop();
      }
      throw failure;
    }
    synchronized (this) {
      batches.add(List.copyOf(started));
      for (ManagedServer server : started) {
        watch(server, System.nanoTime());
      }
    }
  }

  public synchronized List<ManagedServer> servers() {
    return batches.stream().flatMap(List::stream).toList();
  }

  private void watch(ManagedServer server, long startedAt) {
    server.onExit().whenComplete((ignored, error) -> onDeath(server, startedAt));
  }

  private void onDeath(ManagedServer server, long startedAt) {
    if (closing) {
      return;
    }
    Duration wait;
    synchronized (this) {
      boolean healthy = System.nanoTime() - startedAt > HEALTHY_RUN.toNanos();
      Duration previous = backoff.get(server);
      wait =
          healthy || previous == null ? FIRST_BACKOFF : min(previous.multipliedBy(2), MAX_BACKOFF);
      backoff.put(server, wait);
    }
    log.printf(
        "vct: %s exited unexpectedly; restarting in %d s%n", server.name(), wait.toSeconds());
    restarts.schedule(() -> restart(server), wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void restart(ManagedServer server) {
    synchronized (this) {
      if (closing) {
        return;
      }
      long startedAt = System.nanoTime();
      try {
        server.start();
        log.printf("vct: %s restarted: %s%n", server.name(), server.describe());
        watch(server, startedAt);
      } catch (RuntimeException e) {
        log.printf("vct: %s failed to restart: %s%n", server.name(), e.getMessage());
        onDeath(server, startedAt);
      }
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * Stops every server: the batches of {@link #startAll} last started first, the servers of one
   * batch side by side (so N workers draining take one drain, not N). Safe to call more than once.
   */
  @Override
  public void close() {
    closing = true;
    restarts.shutdownNow();
    List<List<ManagedServer>> toStop;
    synchronized (this) {
      toStop = new ArrayList<>(batches);
      batches.clear();
    }
    for (int i = toStop.size() - 1; i >= 0; i--) {
      List<Thread> stopping = new ArrayList<>();
      for (ManagedServer server : toStop.get(i)) {
        Thread t = new Thread(() -> stop(server), "vct-stop-" + server.name());
        t.start();
        stopping.add(t);
      }
      for (Thread t : stopping) {
        try {
          t.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private void stop(ManagedServer server) {
    try {
      server.stop();
    } catch (RuntimeException e) {
      log.printf("vct: stopping %s failed: %s%n", server.name(), e.getMessage());
    }
  }
}
