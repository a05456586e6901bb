package dev.vct.gateway.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.gateway.testing.Http;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class OpenApiTest {
  @Test
  void documentDescribesEveryEndpointWithTheWireNamesAndLimits() {
    Http.Reply reply =
        Http.send("GET", "/q/openapi", null, Map.of("Accept", "application/json"), null);
    assertEquals(200, reply.status());
    JsonNode doc = reply.json();
    for (String path :
        new String[] {
          "/v1/translations",
          "/v1/translations/{id}",
          "/v1/translations/{id}/events",
          "/v1/translations/{id}/cancel",
          "/v1/translations/{id}/result",
          "/v1/admin/tenants",
          "/v1/tenant"
        }) {
      assertTrue(doc.at("/paths").has(path), "documented: " + path);
    }
    JsonNode knobs = doc.at("/components/schemas/TranslationParameters/properties");
    assertEquals(5000, knobs.at("/concept_steps/maximum").asInt(), knobs.toString());
    assertEquals(7.5, knobs.at("/guidance_scale/default").asDouble(), knobs.toString());
    assertTrue(
        doc.at("/paths/~1v1~1translations/post/requestBody/content").has("multipart/form-data"));
  }

  @Test
  void swaggerUiAndTheConsoleAreServed() {
    assertEquals(200, Http.get("/q/swagger-ui/", null).status());
    Http.Reply console = Http.get("/", null);
    assertEquals(200, console.status());
    assertTrue(console.text().contains("VCT console"));
    assertEquals(200, Http.get("/console.js", null).status());
  }
}
