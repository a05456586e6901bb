package dev.vct.gateway.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.gateway.testing.FakeOrchestrator;
import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.SseClient;
import dev.vct.gateway.testing.Tenants;
import dev.vct.gateway.testing.TestImages;
import dev.vct.storage.job.Scores;
import dev.vct.storage.job.Stage;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

@QuarkusTest
class EventStreamTest {
  @Inject FakeOrchestrator orchestrator;

  @Test
  void streamsEveryEventLiveInOrderKeepsIdleStreamsAliveAndEndsAfterCompletion() throws Exception {
    Tenants.Created tenant = Tenants.create("sse");
    UUID jobId =
        UUID.fromString(
            Http.submission(60).post("/v1/translations", tenant.key()).json().get("id").asText());
    orchestrator.start(jobId);
    CompletableFuture<SseClient.Stream> live =
        SseClient.open("/v1/translations/" + jobId + "/events", tenant.key(), null);
    Thread.sleep(1000); // the stream is open, and idle long enough for keep-alives
    orchestrator.succeed(jobId, TestImages.png(64, 64, 61), new Scores(0.3, 20.0));

    SseClient.Stream stream = live.get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(200, stream.status());
    assertTrue(stream.contentType().startsWith("text/event-stream"), stream.contentType());
    assertTrue(stream.comments() > 0, "keep-alive comments while the job was idle");
    List<SseClient.Event> events = stream.events();
    // start: 1 status change; per stage: running, 2 progress, succeeded; end: status + completed.
    assertEquals(1 + 4 * 4 + 2, events.size());
    assertEquals(
        LongStream.rangeClosed(1, events.size()).mapToObj(Long::toString).toList(),
        events.stream().map(SseClient.Event::id).toList());
    assertEquals("job.status-changed", events.get(0).name());
    assertEquals("running", json(events.get(0)).get("to").asText());
    SseClient.Event progress = events.get(2);
    assertEquals("job.progress", progress.name());
    assertEquals(Stage.CONTENT_INVERSION.code(), json(progress).get("stage").asText());
    assertEquals(2, json(progress).get("total_steps").asInt());
    SseClient.Event last = events.get(events.size() - 1);
    assertEquals("job.completed", last.name());
    assertEquals("succeeded", json(last).get("status").asText());
    assertEquals(0.3, json(last).at("/scores/lpips").asDouble());
    assertEquals("/v1/translations/" + jobId + "/result", json(last).get("result_url").asText());
  }

  @Test
  void resumesAfterLastEventIdWithExactlyTheMissedEvents() {
    Tenants.Created tenant = Tenants.create("resume");
    UUID jobId =
        UUID.fromString(
            Http.submission(62).post("/v1/translations", tenant.key()).json().get("id").asText());
    orchestrator.start(jobId);
    orchestrator.succeed(jobId, TestImages.png(64, 64, 63), new Scores(0.1, 10.0));
    String path = "/v1/translations/" + jobId + "/events";
    List<SseClient.Event> all = SseClient.read(path, tenant.key(), null).events();
    assertEquals(19, all.size());

    List<SseClient.Event> rest = SseClient.read(path, tenant.key(), "7").events();
    assertEquals(all.subList(7, all.size()), rest);
    assertEquals(List.of(), SseClient.read(path, tenant.key(), "19").events());

    Http.Reply bad =
        Http.send("GET", path, tenant.key(), java.util.Map.of("Last-Event-ID", "seven"), null);
    assertEquals(400, bad.status());
    assertEquals("invalid_last_event_id", bad.code());
  }

  private static JsonNode json(SseClient.Event event) {
    try {
      return Http.mapper().readTree(event.data());
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
