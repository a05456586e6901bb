package dev.vct.gateway.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.gateway.testing.Http;
import dev.vct.inputs.Knob;
import dev.vct.inputs.KnobDomain;
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
    assertEquals(100, knobs.at("/ddim_steps/maximum").asInt(), knobs.toString());
    assertEquals(7.5, knobs.at("/guidance_scale/default").asDouble(), knobs.toString());
    assertEquals(
        "#/components/schemas/TranslationParameters",
        doc.at("/components/schemas/TranslationRequest/properties/params/$ref").asText());
    assertTrue(
        doc.at("/paths/~1v1~1translations/post/requestBody/content").has("multipart/form-data"));
    JsonNode stage = doc.at("/components/schemas/Stage/properties");
    assertTrue(stage.at("/status/description").asText().contains("waiting"), stage.toString());
    assertTrue(stage.get("waiting_for").toString().contains("WaitingFor"), stage.toString());
    assertTrue(
        doc.at("/components/schemas/WaitingFor/properties").has("stage_run_id"), doc.toString());
  }

  /** The document's knobs are the table's: names, types, bounds, defaults, steps and patterns. */
  @Test
  void theKnobSchemaIsTheKnobTable() {
    JsonNode doc =
        Http.send("GET", "/q/openapi", null, Map.of("Accept", "application/json"), null).json();
    JsonNode knobs = doc.at("/components/schemas/TranslationParameters/properties");
    assertEquals(Knob.values().length, knobs.size(), knobs.toString());
    for (Knob knob : Knob.values()) {
      KnobDomain d = knob.domain();
      JsonNode p = knobs.get(knob.jsonName());
      String what = knob.jsonName() + ": " + p;
      assertEquals(knob.type().jsonType(), p.get("type").asText(), what);
      if (d.defaultValue() == null) {
        assertFalse(p.has("default"), what);
      } else {
        assertEquals(String.valueOf(d.defaultValue()), scalar(p.get("default")), what);
      }
      if (d.minimum() != null) {
        String bound = d.exclusiveMinimum() ? "exclusiveMinimum" : "minimum";
        assertEquals(0, d.minimum().compareTo(p.get(bound).decimalValue()), what);
        assertEquals(0, d.maximum().compareTo(p.get("maximum").decimalValue()), what);
      } else {
        assertFalse(p.has("minimum") || p.has("maximum"), what);
      }
      if (d.multipleOf() != null) {
        assertEquals(d.multipleOf().intValue(), p.get("multipleOf").asInt(), what);
      }
      if (d.pattern() != null) {
        assertEquals("^" + d.pattern().pattern() + "$", p.get("pattern").asText(), what);
      }
      assertTrue(p.get("description").asText().startsWith(knob.description()), what);
    }
  }

  /** A JSON scalar as the table's Java value prints: 500, 0.002, girl, false. */
  private static String scalar(JsonNode node) {
    if (node.isIntegralNumber()) {
      return Long.toString(node.asLong());
    }
    if (node.isNumber()) {
      return Double.toString(node.asDouble());
    }
    return node.asText();
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
