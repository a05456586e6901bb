package dev.vct.gateway.events;

import dev.vct.gateway.config.GatewayConfig;
import dev.vct.storage.job.Job;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * A job's events as Server-Sent Events: each carries its log sequence number as {@code id}, so a
 * client that reconnects with {@code Last-Event-ID} gets exactly the events it missed. The log is
 * polled on a worker thread; the stream ends after {@code job.completed}, or once the job is
 * terminal and nothing more is logged.
 */
@ApplicationScoped
public class JobEventStream {
  private static final Logger LOG = Logger.getLogger(JobEventStream.class);

  private final JobEventLogReader log;
  private final long pollMillis;
  private final long keepAliveNanos;

  JobEventStream(JobEventLogReader log, GatewayConfig config) {
    this.log = log;
    this.pollMillis = config.events().pollInterval().toMillis();
    this.keepAliveNanos = config.events().keepAlive().toNanos();
  }

  public Multi<OutboundSseEvent> stream(UUID jobId, long afterSeq, Sse sse) {
    return Multi.createFrom()
        .emitter(emitter -> new Pump(jobId, afterSeq, sse, emitter).schedule(0));
  }

  /** One stream's polling loop; lives as long as the client stays connected. */
  private final class Pump {
    private final UUID jobId;
    private final Sse sse;
    private final MultiEmitter<? super OutboundSseEvent> emitter;
    private final ScheduledExecutorService executor = Infrastructure.getDefaultWorkerPool();
    private long cursor;
    private long lastSentNanos = System.nanoTime();

    Pump(UUID jobId, long afterSeq, Sse sse, MultiEmitter<? super OutboundSseEvent> emitter) {
      this.jobId = jobId;
      this.cursor = afterSeq;
      this.sse = sse;
      this.emitter = emitter;
    }

    void schedule(long delayMillis) {
      if (emitter.isCancelled()) {
        return;
      }
      if (delayMillis == 0) {
        executor.execute(this::pollOnce);
      } else {
        // The delay runs on a Vert.x timer (an event loop); the database read must not.
        executor.schedule(
            () -> executor.execute(this::pollOnce), delayMillis, TimeUnit.MILLISECONDS);
      }
    }

    private void pollOnce() {
      if (emitter.isCancelled()) {
        return;
      }
      try {
        List<LoggedEvent> events = log.after(jobId, cursor);
        for (LoggedEvent entry : events) {
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
            return;
          }
        }
        if (events.isEmpty() && jobIsTerminal()) {
          emitter.complete();
          return;
        }
        if (System.nanoTime() - lastSentNanos > keepAliveNanos) {
          emitter.emit(sse.newEventBuilder().comment("keep-alive").build());
          lastSentNanos = System.nanoTime();
        }
        schedule(events.isEmpty() ? pollMillis : 0);
      } catch (RuntimeException e) {
        LOG.warnf(e, "Event stream of job %s failed", jobId);
        emitter.fail(e);
      }
    }

    private boolean jobIsTerminal() {
      return QuarkusTransaction.requiringNew()
          .call(() -> Job.<Job>findByIdOptional(jobId).map(j -> j.status.terminal()).orElse(true));
    }
  }
}
