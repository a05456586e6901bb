package dev.vct.gateway.events;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.gateway.config.GatewayConfig;
import dev.vct.gateway.testing.FakeOrchestrator;
import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.Tenants;
import dev.vct.gateway.testing.TestImages;
import dev.vct.storage.job.Scores;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * A tenant's event streams are limited (429 with Retry-After), every way a stream ends gives its
 * slot back, and one database poll serves all the streams of a job.
 */
@QuarkusTest
class EventStreamLimitsTest {
  @Inject FakeOrchestrator orchestrator;
  @Inject JobEventStream streams;
  @Inject GatewayConfig config;

  /** An open stream on a raw socket: closing it is the client leaving. */
  private static final class OpenStream implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    final String head;

    OpenStream(String path, String key) throws IOException {
      int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
      socket = new Socket("localhost", port);
      socket.setSoTimeout(30_000);
      socket
          .getOutputStream()
          .write(
              ("GET "
                      + path
                      + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                      + "Connection: close\r\n"
                      + "Authorization: Bearer "
                      + key
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b == -1) {
          break;
        }
        head.write(b);
      }
      this.head = head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads until the server ends the stream; the events' text. */
    String readToEnd() throws IOException {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private UUID runningJob(Tenants.Created tenant, int seed) {
    UUID jobId =
        UUID.fromString(
            Http.submission(seed).post("/v1/translations", tenant.key()).json().get("id").asText());
    orchestrator.start(jobId);
    return jobId;
  }

  @Test
  void aTenantsStreamsAreLimitedAndEachWayAStreamEndsGivesItsSlotBack() throws Exception {
    int limit = config.events().maxStreamsPerTenant();
    Tenants.Created tenant = Tenants.create("sse-limit", 10, 10_000);
    UUID jobA = runningJob(tenant, 80);
    UUID jobB = runningJob(tenant, 82);
    List<OpenStream> open = new ArrayList<>();
    try {
      for (int i = 0; i < limit; i++) {
        OpenStream stream =
            new OpenStream(
                "/v1/translations/" + (i % 2 == 0 ? jobA : jobB) + "/events", tenant.key());
        assertTrue(stream.head.startsWith("HTTP/1.1 200"), stream.head);
        open.add(stream);
      }
      assertEquals(limit, streams.openStreams(tenant.id()));

      Http.Reply refused =
          Http.send(
              "GET",
              "/v1/translations/" + jobA + "/events",
              tenant.key(),
              java.util.Map.of("Accept", "text/event-stream"),
              null);
      assertEquals(429, refused.status(), refused.text());
      assertEquals("too_many_streams", refused.code());
      assertEquals("5", refused.header("Retry-After"));
      assertTrue(refused.json().get("message").asText().contains("limit"), refused.text());

      // Another tenant is not affected.
      Tenants.Created other = Tenants.create("sse-other");
      UUID otherJob = runningJob(other, 84);
      try (OpenStream stream =
          new OpenStream("/v1/translations/" + otherJob + "/events", other.key())) {
        assertTrue(stream.head.startsWith("HTTP/1.1 200"), stream.head);
      }

      // The client leaving early: its slot comes back once the server notices.
      open.remove(0).close();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> streams.openStreams(tenant.id()) == limit - 1);
      OpenStream again = new OpenStream("/v1/translations/" + jobA + "/events", tenant.key());
      assertTrue(again.head.startsWith("HTTP/1.1 200"), again.head);
      open.add(again);

      // Completion: the job ends, its streams end, their slots come back.
      orchestrator.succeed(jobA, TestImages.png(64, 64, 81), new Scores(0.3, 20.0));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> streams.openStreams(tenant.id()) == limit / 2);
      assertEquals(-1, streams.polls(jobA), "job A's feed stopped with its last stream");
    } finally {
      for (OpenStream stream : open) {
        stream.close();
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> streams.openStreams(tenant.id()) == 0);
  }

  @Test
  void oneDatabasePollServesEveryStreamOfAJob() throws Exception {
    int limit = config.events().maxStreamsPerTenant();
    Tenants.Created tenant = Tenants.create("sse-shared", 10, 10_000);
    UUID jobId = runningJob(tenant, 86);
    List<OpenStream> open = new ArrayList<>();
    try {
      for (int i = 0; i < limit; i++) {
        open.add(new OpenStream("/v1/translations/" + jobId + "/events", tenant.key()));
      }
      long interval = config.events().pollInterval().toMillis();
      long before = streams.polls(jobId);
      Thread.sleep(20 * interval);
      long polls = streams.polls(jobId) - before;
      // One feed polls about 20 times in 20 intervals; a poll per stream would be 20 * limit.
      assertTrue(
          polls >= 5 && polls <= 30, "polls in 20 intervals with " + limit + " streams: " + polls);

      orchestrator.succeed(jobId, TestImages.png(64, 64, 87), new Scores(0.3, 20.0));
      for (OpenStream stream : open) {
        String events = stream.readToEnd();
        assertTrue(events.contains("event:job.completed"), events);
        assertEquals(
            19, events.lines().filter(l -> l.startsWith("id:")).count(), "every stream got all");
      }
    } finally {
      for (OpenStream stream : open) {
        stream.close();
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> streams.openStreams(tenant.id()) == 0);
  }
}
