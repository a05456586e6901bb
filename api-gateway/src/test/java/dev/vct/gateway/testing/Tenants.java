package dev.vct.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** Creates tenants through the admin API, as an operator would. */
public final class Tenants {
  private Tenants() {}

  /** A new tenant's id, first API key and webhook secret. */
  public record Created(UUID id, String key, String webhookSecret) {}

  public static Created create(String prefix) {
    return create(prefix, null, null);
  }

  public static Created create(
      String prefix, Integer maxConcurrentJobs, Integer requestsPerMinute) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", prefix + "-" + UUID.randomUUID().toString().substring(0, 8));
    if (maxConcurrentJobs != null) {
      body.put("max_concurrent_jobs", maxConcurrentJobs);
    }
    if (requestsPerMinute != null) {
      body.put("requests_per_minute", requestsPerMinute);
    }
    Http.Reply reply = Http.postJson("/v1/admin/tenants", TestStack.ADMIN_KEY, body);
    assertEquals(201, reply.status(), reply.text());
    JsonNode json = reply.json();
    return new Created(
        UUID.fromString(json.get("id").asText()),
        json.get("api_keys").get(0).get("key").asText(),
        json.get("webhook_secret").asText());
  }
}
