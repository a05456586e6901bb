package dev.vct.gateway.events;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import jakarta.ws.rs.sse.OutboundSseEvent;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The stream slots of a tenant without a server: the limit, and release on every way out. */
class JobEventStreamSlotsTest {
  private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(2);
  private final UUID tenant = UUID.randomUUID();
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicBoolean terminal = new AtomicBoolean();
  private final AtomicInteger reads = new AtomicInteger();

  /** A log with no events that fails or ends on demand. */
  private final JobEventStream.EventLog log =
      new JobEventStream.EventLog() {
        @Override
        public List<LoggedEvent> after(UUID jobId, long afterSeq) {
          reads.incrementAndGet();
          if (failing.get()) {
            throw new IllegalStateException("database unreachable");
          }
          return List.of();
        }

        @Override
        public boolean isTerminal(UUID jobId) {
          return terminal.get();
        }
      };

  private final JobEventStream streams = new JobEventStream(log, 20, 60_000_000_000L, 2, executor);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private AssertSubscriber<OutboundSseEvent> open(UUID jobId) {
    return streams.stream(tenant, jobId, 0, null)
        .subscribe()
        .withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
  }

  @Test
  void theLimitRefusesWithRetryAfterAndACancelledStreamGivesItsSlotBack() {
    UUID job = UUID.randomUUID();
    AssertSubscriber<OutboundSseEvent> first = open(job);
    open(job);
    ApiException refused = assertThrows(ApiException.class, () -> open(job));
    assertEquals(ErrorCode.TOO_MANY_STREAMS, refused.code());
    assertEquals("5", refused.headers().get("Retry-After"));
    assertEquals(2, streams.openStreams(tenant));

    first.cancel();
    assertEquals(1, streams.openStreams(tenant));
    open(job);
    assertEquals(2, streams.openStreams(tenant));
  }

  @Test
  void aFailedLogReadEndsEveryStreamOfTheJobAndGivesTheirSlotsBack() {
    UUID job = UUID.randomUUID();
    AssertSubscriber<OutboundSseEvent> a = open(job);
    AssertSubscriber<OutboundSseEvent> b = open(job);
    failing.set(true);
    a.awaitFailure(Duration.ofSeconds(5));
    b.awaitFailure(Duration.ofSeconds(5));
    assertEquals(0, streams.openStreams(tenant));
    await().atMost(Duration.ofSeconds(5)).until(() -> streams.polls(job) == -1);
  }

  @Test
  void aJobThatEndsCompletesItsStreamsAndStopsItsFeed() {
    UUID job = UUID.randomUUID();
    AssertSubscriber<OutboundSseEvent> a = open(job);
    AssertSubscriber<OutboundSseEvent> b = open(job);
    terminal.set(true);
    a.awaitCompletion(Duration.ofSeconds(5));
    b.awaitCompletion(Duration.ofSeconds(5));
    assertEquals(0, streams.openStreams(tenant));
    await().atMost(Duration.ofSeconds(5)).until(() -> streams.polls(job) == -1);
  }

  @Test
  void streamsOfOneJobShareOnePoll() throws InterruptedException {
    UUID job = UUID.randomUUID();
    open(job);
    open(job);
    Thread.sleep(400); // about 20 intervals
    int shared = reads.get();
    assertEquals(true, shared >= 5 && shared <= 30, "reads for two streams: " + shared);
  }
}
