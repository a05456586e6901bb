package dev.vct.gateway.webhook;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.vct.gateway.testing.FakeOrchestrator;
import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.Tenants;
import dev.vct.gateway.testing.TestImages;
import dev.vct.storage.job.Scores;
import dev.vct.storage.webhook.DeliveryStatus;
import dev.vct.storage.webhook.WebhookDelivery;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class WebhookDeliveryTest {
  @Inject FakeOrchestrator orchestrator;

  /** One request the receiver got. */
  record Received(String id, String timestamp, String signature, String body) {}

  private HttpServer receiver;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger failuresLeft = new AtomicInteger();

  @BeforeEach
  void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          received.add(
              new Received(
                  exchange.getRequestHeaders().getFirst("webhook-id"),
                  exchange.getRequestHeaders().getFirst("webhook-timestamp"),
                  exchange.getRequestHeaders().getFirst("webhook-signature"),
                  body));
          int status = failuresLeft.getAndDecrement() > 0 ? 503 : 204;
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
  }

  @Test
  void deliversTheChosenEventsSignedAndRetriesWithTheSameId() {
    Tenants.Created tenant = Tenants.create("hooks");
    failuresLeft.set(1); // the first attempt fails: a retry must follow
    Map<String, Object> webhook =
        Map.of("url", url(), "events", List.of("job.completed", "job.status-changed"));
    Http.Reply submitted =
        Http.submission(70).text("webhook", json(webhook)).post("/v1/translations", tenant.key());
    assertEquals(202, submitted.status(), submitted.text());
    UUID jobId = UUID.fromString(submitted.json().get("id").asText());
    orchestrator.start(jobId);
    orchestrator.succeed(jobId, TestImages.png(64, 64, 71), new Scores(0.2, 15.0));

    // Two status changes and the completion; progress and stage events were not asked for.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                QuarkusTransaction.requiringNew()
                    .call(
                        () ->
                            WebhookDelivery.forJob(jobId).size() == 3
                                && WebhookDelivery.forJob(jobId).stream()
                                    .allMatch(d -> d.status == DeliveryStatus.DELIVERED)));
    List<WebhookDelivery> deliveries =
        QuarkusTransaction.requiringNew().call(() -> WebhookDelivery.forJob(jobId));
    assertEquals(4, received.size(), "three events, one of them tried twice: " + received);
    assertEquals(
        List.of("job.completed", "job.status-changed", "job.status-changed"),
        deliveries.stream().map(d -> d.eventType).sorted().toList());
    int attempts = deliveries.stream().mapToInt(d -> d.attempts).sum();
    assertEquals(4, attempts);

    byte[] key = Base64.getDecoder().decode(tenant.webhookSecret().substring("whsec_".length()));
    for (Received request : received) {
      assertEquals(
          WebhookSigner.sign(
              key, request.id(), Long.parseLong(request.timestamp()), request.body()),
          request.signature(),
          "signature of " + request.id());
    }
    WebhookDelivery retried =
        deliveries.stream().filter(d -> d.attempts == 2).findFirst().orElseThrow();
    List<Received> attemptsOfRetried =
        received.stream().filter(r -> r.id().equals(retried.id.toString())).toList();
    assertEquals(2, attemptsOfRetried.size());
    assertEquals(attemptsOfRetried.get(0).body(), attemptsOfRetried.get(1).body());

    JsonNode completed =
        received.stream()
            .map(r -> parse(r.body()))
            .filter(b -> b.get("type").asText().equals("job.completed"))
            .findFirst()
            .orElseThrow();
    assertEquals(jobId.toString(), completed.at("/data/job_id").asText());
    assertEquals("succeeded", completed.at("/data/status").asText());
    assertEquals(0.2, completed.at("/data/scores/lpips").asDouble());
    assertTrue(completed.has("timestamp"));
  }

  @Test
  void refusesWebhooksThatAreNotHttpOrAskForUnknownEvents() {
    Tenants.Created tenant = Tenants.create("badhooks");
    Http.Reply ftp =
        Http.submission(72)
            .text("webhook", json(Map.of("url", "ftp://example.com/x")))
            .post("/v1/translations", tenant.key());
    assertEquals(400, ftp.status());
    assertEquals("invalid_webhook", ftp.code());
    Http.Reply unknown =
        Http.submission(73)
            .text("webhook", json(Map.of("url", url(), "events", List.of("job.exploded"))))
            .post("/v1/translations", tenant.key());
    assertEquals(400, unknown.status());
    assertEquals("invalid_webhook", unknown.code());
  }

  private static String json(Object value) {
    try {
      return Http.mapper().writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode parse(String body) {
    try {
      return Http.mapper().readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
