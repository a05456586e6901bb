package dev.vct.gateway.events;

import dev.vct.gateway.config.GatewayConfig;
import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * A job's events as Server-Sent Events: each carries its log sequence number as {@code id}, so a
 * client that reconnects with {@code Last-Event-ID} gets exactly the events it missed. However many
 * clients follow a job, one {@link Feed} polls its log (on a worker thread) and hands each stream
 * the events past its own position; a stream ends after {@code job.completed}, or once the job is
 * terminal and nothing more is logged. A tenant holds at most {@code max-streams-per-tenant}
 * streams at once; each stream's slot is given back however it ends (completion, the client
 * leaving, an error).
 */
@ApplicationScoped
public class JobEventStream {
  private static final Logger LOG = Logger.getLogger(JobEventStream.class);

  /** Suggested wait, in seconds, before opening a stream again after a 429. */
  static final int RETRY_AFTER_SECONDS = 5;

  private final EventLog log;
  private final long pollMillis;
  private final long keepAliveNanos;
  private final int maxStreamsPerTenant;
  private final ScheduledExecutorService executor;

  /** Guarded by itself: the feeds of followed jobs, and the open streams of each tenant. */
  private final Map<UUID, Feed> feeds = new HashMap<>();

  private final Map<UUID, Integer> streamsByTenant = new HashMap<>();

  /** Where the events come from; {@link JobEventLogReader} in the service. */
  interface EventLog {
    /** Up to a batch of the job's events after {@code afterSeq}, in order. */
    List<LoggedEvent> after(UUID jobId, long afterSeq);

    /** Whether the job has ended (or is gone), so no more events will come. */
    boolean isTerminal(UUID jobId);
  }

  @Inject
  JobEventStream(JobEventLogReader log, GatewayConfig config) {
    this(
        log,
        config.events().pollInterval().toMillis(),
        config.events().keepAlive().toNanos(),
        config.events().maxStreamsPerTenant(),
        Infrastructure.getDefaultWorkerPool());
  }

  JobEventStream(
      EventLog log,
      long pollMillis,
      long keepAliveNanos,
      int maxStreamsPerTenant,
      ScheduledExecutorService executor) {
    this.log = log;
    this.pollMillis = pollMillis;
    this.keepAliveNanos = keepAliveNanos;
    this.maxStreamsPerTenant = maxStreamsPerTenant;
    this.executor = executor;
  }

  /**
   * Opens a stream of {@code jobId}'s events after {@code afterSeq} for a tenant.
   *
   * @throws ApiException {@code too_many_streams} (429) when the tenant has its limit of streams
   *     open
   */
  public Multi<OutboundSseEvent> stream(UUID tenantId, UUID jobId, long afterSeq, Sse sse) {
    Slot slot = takeSlot(tenantId);
    return Multi.createFrom()
        .<OutboundSseEvent>emitter(
            emitter -> {
              Follower follower = new Follower(afterSeq, sse, emitter);
              emitter.onTermination(
                  () -> {
                    leave(jobId, follower);
                    slot.release();
                  });
              join(jobId, follower);
            })
        .onTermination()
        .invoke(slot::release);
  }

  /** Open streams of a tenant (for tests and metrics). */
  public int openStreams(UUID tenantId) {
    synchronized (feeds) {
      return streamsByTenant.getOrDefault(tenantId, 0);
    }
  }

  /** Reads of a job's log made since its feed started; -1 when nobody follows the job. */
  public long polls(UUID jobId) {
    synchronized (feeds) {
      Feed feed = feeds.get(jobId);
      return feed == null ? -1 : feed.polls.get();
    }
  }

  private Slot takeSlot(UUID tenantId) {
    synchronized (feeds) {
      int open = streamsByTenant.getOrDefault(tenantId, 0);
      if (open >= maxStreamsPerTenant) {
        throw new ApiException(
            ErrorCode.TOO_MANY_STREAMS,
            "This tenant already has "
                + open
                + " event streams open, its limit; close one (or follow fewer jobs at once) and"
                + " retry",
            Map.of("Retry-After", Integer.toString(RETRY_AFTER_SECONDS)));
      }
      streamsByTenant.put(tenantId, open + 1);
      return new Slot(tenantId);
    }
  }

  /** One stream's place in its tenant's count; released once, whatever ends the stream. */
  private final class Slot {
    private final UUID tenantId;
    private final AtomicBoolean released = new AtomicBoolean();

    Slot(UUID tenantId) {
      this.tenantId = tenantId;
    }

    void release() {
      if (released.compareAndSet(false, true)) {
        synchronized (feeds) {
          streamsByTenant.computeIfPresent(tenantId, (t, n) -> n <= 1 ? null : n - 1);
        }
      }
    }
  }

  private void join(UUID jobId, Follower follower) {
    Feed feed;
    boolean start;
    synchronized (feeds) {
      feed = feeds.computeIfAbsent(jobId, Feed::new);
      feed.followers.add(follower);
      start = !feed.running;
      feed.running = true;
    }
    // A feed already running hands the newcomer its events on its next round.
    if (start) {
      feed.schedule(0);
    }
  }

  private void leave(UUID jobId, Follower follower) {
    synchronized (feeds) {
      Feed feed = feeds.get(jobId);
      if (feed != null) {
        feed.followers.remove(follower);
      }
    }
  }

  /** One client's stream: where it is in the log, and when it last got something. */
  private static final class Follower {
    private final Sse sse;
    private final MultiEmitter<? super OutboundSseEvent> emitter;
    private long cursor;
    private long lastSentNanos = System.nanoTime();

    Follower(long afterSeq, Sse sse, MultiEmitter<? super OutboundSseEvent> emitter) {
      this.cursor = afterSeq;
      this.sse = sse;
      this.emitter = emitter;
    }

    /** Sends what is new to this stream; true when the stream has ended. */
    boolean offer(LoggedEvent entry) {
      if (entry.seq() <= cursor) {
        return false;
      }
      emitter.emit(
          sse.newEventBuilder()
              .id(Long.toString(entry.seq()))
              .name(entry.event().type())
              .mediaType(MediaType.APPLICATION_JSON_TYPE)
              .data(JobEventView.class, entry.event())
              .build());
      cursor = entry.seq();
      lastSentNanos = System.nanoTime();
      if (entry.event().isFinal()) {
        emitter.complete();
        return true;
      }
      return false;
    }

    void keepAlive(long keepAliveNanos) {
      if (System.nanoTime() - lastSentNanos > keepAliveNanos) {
        emitter.emit(sse.newEventBuilder().comment("keep-alive").build());
        lastSentNanos = System.nanoTime();
      }
    }
  }

  /**
   * The one polling loop of a job: reads the log from the earliest follower's position and hands
   * every follower what it has not had. Stops when no follower is left.
   */
  private final class Feed {
    private final UUID jobId;

    /** Guarded by {@code feeds}. */
    private final List<Follower> followers = new ArrayList<>();

    /** Guarded by {@code feeds}: a round is queued or running. */
    private boolean running;

    private final AtomicLong polls = new AtomicLong();

    Feed(UUID jobId) {
      this.jobId = jobId;
    }

    void schedule(long delayMillis) {
      if (delayMillis == 0) {
        executor.execute(this::poll);
      } else {
        // The delay runs on a timer thread; the database read must run on a worker.
        executor.schedule(() -> executor.execute(this::poll), delayMillis, TimeUnit.MILLISECONDS);
      }
    }

    /** The followers still listening, after dropping {@code ended}; stops the feed when none. */
    private List<Follower> keepOrStop(List<Follower> ended) {
      synchronized (feeds) {
        followers.removeAll(ended);
        followers.removeIf(f -> f.emitter.isCancelled());
        if (followers.isEmpty()) {
          running = false;
          feeds.remove(jobId, this);
        }
        return new ArrayList<>(followers);
      }
    }

    private void poll() {
      List<Follower> open = keepOrStop(List.of());
      if (open.isEmpty()) {
        return;
      }
      boolean more;
      try {
        long from = open.stream().mapToLong(f -> f.cursor).min().orElseThrow();
        polls.incrementAndGet();
        List<LoggedEvent> events = log.after(jobId, from);
        List<Follower> ended = new ArrayList<>();
        for (Follower follower : open) {
          for (LoggedEvent entry : events) {
            if (follower.offer(entry)) {
              ended.add(follower);
              break;
            }
          }
        }
        if (events.isEmpty() && log.isTerminal(jobId)) {
          open.forEach(f -> f.emitter.complete());
          ended.addAll(open);
        } else {
          for (Follower follower : open) {
            if (!ended.contains(follower)) {
              follower.keepAlive(keepAliveNanos);
            }
          }
        }
        more = !events.isEmpty();
        open = keepOrStop(ended);
      } catch (RuntimeException e) {
        LOG.warnf(e, "Event stream of job %s failed", jobId);
        open.forEach(f -> f.emitter.fail(e));
        more = false;
        open = keepOrStop(open);
      }
      if (!open.isEmpty()) {
        schedule(more ? 0 : pollMillis);
      }
    }
  }
}
