package dev.vct.gateway.translation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.Tenants;
import dev.vct.gateway.testing.TestImages;
import dev.vct.inputs.Knob;
import dev.vct.inputs.KnobSamples;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every knob at its documented minimum, maximum and default is accepted by the API (and stored as
 * given, the rest at their defaults); one step past each bound, or a value of the wrong JSON type,
 * is refused with 400 and the code docs/api-errors.md gives. The same samples go through the
 * engine's own checks in the engine's and the worker's tests (KnobSamples).
 */
@QuarkusTest
class KnobBoundsTest {
  private static final String PATH = "/v1/translations";
  private static String key;

  private static String key() {
    if (key == null) {
      key = Tenants.create("knob-bounds", 1000, 100_000).key();
    }
    return key;
  }

  private static Http.Reply submit(Map<String, Object> params) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("source", Base64.getEncoder().encodeToString(TestImages.png(32, 32, 11)));
    body.put("reference", Base64.getEncoder().encodeToString(TestImages.png(32, 32, 12)));
    if (params != null) {
      body.put("params", params);
    }
    return Http.postJson(PATH, key(), body);
  }

  static Stream<KnobSamples.Sample> accepted() {
    return KnobSamples.accepted().stream();
  }

  static Stream<KnobSamples.Sample> refused() {
    return KnobSamples.refused().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void everyDocumentedValueIsAcceptedAndStored(KnobSamples.Sample sample) {
    Http.Reply reply = submit(Map.of(sample.knob().jsonName(), sample.value()));
    assertEquals(202, reply.status(), sample + ": " + reply.text());
    JsonNode params = reply.json().get("params");
    JsonNode stored = params.get(sample.knob().jsonName());
    switch (sample.knob().type()) {
      case INTEGER -> assertEquals(((Number) sample.value()).longValue(), stored.asLong());
      case NUMBER -> assertEquals(((Number) sample.value()).doubleValue(), stored.asDouble());
      case STRING -> assertEquals(sample.value(), stored.asText());
      case BOOLEAN -> assertEquals(sample.value(), stored.asBoolean());
    }
    for (Knob other : Knob.values()) {
      if (other != sample.knob() && other != Knob.SEED) {
        assertTrue(params.has(other.jsonName()), other.jsonName() + " defaulted in " + params);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void everyValuePastABoundIsRefusedWithItsCode(KnobSamples.Sample sample) {
    Http.Reply reply = submit(Map.of(sample.knob().jsonName(), sample.value()));
    assertEquals(400, reply.status(), sample + ": " + reply.text());
    boolean wrongType =
        switch (sample.knob().type()) {
          case INTEGER -> !(sample.value() instanceof Long);
          case NUMBER -> !(sample.value() instanceof Double);
          case STRING -> !(sample.value() instanceof String);
          case BOOLEAN -> true;
        };
    assertEquals(
        wrongType ? "invalid_field_type" : "invalid_parameter", reply.code(), reply.text());
    String message = reply.json().get("message").asText();
    assertTrue(message.startsWith("params." + sample.knob().jsonName() + " must be "), message);
    assertTrue(message.contains(sample.knob().domain().describe()), message);
  }

  @Test
  void aDrawnSeedIsReportedButNotStoredAmongTheKnobs() {
    Http.Reply reply = submit(null);
    assertEquals(202, reply.status(), reply.text());
    assertTrue(reply.json().get("seed").isIntegralNumber());
    assertFalse(reply.json().get("params").has("seed"), reply.text());
    assertEquals(Knob.values().length - 1, reply.json().get("params").size());
  }

  @Test
  void ddimStepsOverTheEnginesLimitIsRefusedSayingTheLimit() {
    Http.Reply reply = submit(Map.of("ddim_steps", 101));
    assertEquals(400, reply.status(), reply.text());
    assertEquals("invalid_parameter", reply.code());
    assertEquals(
        "params.ddim_steps must be an integer from 1 to 100 (got 101)",
        reply.json().get("message").asText());
  }
}
