package dev.vct.gateway.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.Tenants;
import dev.vct.storage.webhook.DeliveryStatus;
import dev.vct.storage.webhook.WebhookDelivery;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * With the production policy (public addresses only), a delivery whose host now leads to a private
 * address (as after DNS rebinding) is refused at delivery time, recorded as a failed attempt, and
 * never reaches the private listener.
 */
@QuarkusTest
@TestProfile(WebhookDeliveryAddressCheckTest.PublicOnly.class)
class WebhookDeliveryAddressCheckTest {
  public static class PublicOnly implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("vct.gateway.webhooks.allow-private-addresses", "false");
    }
  }

  @Test
  void aHostLeadingToAPrivateAddressAtDeliveryTimeIsRefusedAndRecorded() throws IOException {
    AtomicInteger hits = new AtomicInteger();
    HttpServer internal = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    internal.createContext(
        "/",
        exchange -> {
          hits.incrementAndGet();
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    internal.start();
    try {
      String url = "http://127.0.0.1:" + internal.getAddress().getPort() + "/hook";
      Tenants.Created tenant = Tenants.create("rebind");
      Http.Reply refused =
          Http.submission(91)
              .text("webhook", "{\"url\": \"" + url + "\"}")
              .post("/v1/translations", tenant.key());
      assertEquals(400, refused.status(), refused.text());
      assertEquals("invalid_webhook", refused.code());

      // The same URL stored as if it had passed when it was submitted, one attempt from the limit.
      UUID id = WebhookDeliveryFailureTest.storePending(url, 7);
      WebhookDelivery last = WebhookDeliveryFailureTest.awaitFinished(id);
      assertEquals(DeliveryStatus.FAILED, last.status);
      assertEquals(8, last.attempts);
      assertNull(last.lastStatusCode);
      assertTrue(last.lastError.contains("non-public address 127.0.0.1"), last.lastError);
      assertEquals(0, hits.get(), "the private listener was never called");
    } finally {
      internal.stop(0);
    }
  }
}
