package dev.vct.gateway.webhook;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vct.gateway.config.GatewayConfig;
import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.Tenants;
import dev.vct.storage.webhook.DeliveryStatus;
import dev.vct.storage.webhook.WebhookDelivery;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Deliveries that cannot succeed end: every failure (a URL that cannot be called, a refused
 * connection, a redirect) is a recorded attempt, and the attempt limit holds.
 */
@QuarkusTest
class WebhookDeliveryFailureTest {
  @Inject GatewayConfig config;

  /** A pending delivery of a real job, stored directly, as a row written before a fix would be. */
  static UUID storePending(String url, int attemptsSoFar) {
    Tenants.Created tenant = Tenants.create("hookfail");
    Http.Reply submitted = Http.submission(90).post("/v1/translations", tenant.key());
    assertEquals(202, submitted.status(), submitted.text());
    UUID jobId = UUID.fromString(submitted.json().get("id").asText());
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              WebhookDelivery delivery =
                  WebhookDelivery.pending(
                      jobId,
                      tenant.id(),
                      UUID.randomUUID(),
                      "job.completed",
                      url,
                      "{\"type\":\"job.completed\"}");
              delivery.attempts = attemptsSoFar;
              delivery.persist();
              return delivery.id;
            });
  }

  static WebhookDelivery awaitFinished(UUID id) {
    await().atMost(Duration.ofSeconds(30)).until(() -> load(id).status != DeliveryStatus.PENDING);
    return load(id);
  }

  static WebhookDelivery awaitAttempts(UUID id, int attempts) {
    await().atMost(Duration.ofSeconds(30)).until(() -> load(id).attempts >= attempts);
    return load(id);
  }

  static WebhookDelivery load(UUID id) {
    return QuarkusTransaction.requiringNew().call(() -> WebhookDelivery.findById(id));
  }

  @Test
  void aPortOutOfRangeFailsOnceAndIsNeverSentAgain() throws InterruptedException {
    UUID id = storePending("http://127.0.0.1:99999/hook", 0);
    WebhookDelivery failed = awaitFinished(id);
    assertEquals(DeliveryStatus.FAILED, failed.status);
    assertEquals(1, failed.attempts);
    assertNotNull(failed.finishedAt);
    assertNull(failed.nextAttemptAt);
    assertTrue(failed.lastError.contains("99999"), failed.lastError);
    Thread.sleep(2_500); // two more rounds of the dispatcher
    assertEquals(1, load(id).attempts);
  }

  @Test
  void aConnectionErrorIsAnAttemptAndTheLastAllowedOneEndsTheDelivery() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    int limit = config.webhooks().maxAttempts();
    UUID id = storePending("http://127.0.0.1:" + closedPort + "/hook", limit - 1);
    WebhookDelivery failed = awaitFinished(id);
    assertEquals(DeliveryStatus.FAILED, failed.status);
    assertEquals(limit, failed.attempts);
    assertNotNull(failed.lastError);
    assertNull(failed.lastStatusCode);
  }

  @Test
  void aRedirectIsNotFollowedAndCountsAsAFailedAttempt() throws IOException {
    AtomicInteger redirectTargetHits = new AtomicInteger();
    HttpServer target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    target.createContext(
        "/",
        exchange -> {
          redirectTargetHits.incrementAndGet();
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    HttpServer redirecting = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    redirecting.createContext(
        "/",
        exchange -> {
          exchange
              .getResponseHeaders()
              .add("Location", "http://127.0.0.1:" + target.getAddress().getPort() + "/");
          exchange.sendResponseHeaders(307, -1);
          exchange.close();
        });
    target.start();
    redirecting.start();
    try {
      UUID id =
          storePending(
              "http://127.0.0.1:" + redirecting.getAddress().getPort() + "/hook",
              config.webhooks().maxAttempts() - 1);
      WebhookDelivery failed = awaitFinished(id);
      assertEquals(DeliveryStatus.FAILED, failed.status);
      assertEquals(307, failed.lastStatusCode);
      assertEquals(0, redirectTargetHits.get());
    } finally {
      redirecting.stop(0);
      target.stop(0);
    }
  }
}
