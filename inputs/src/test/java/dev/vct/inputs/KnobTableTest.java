package dev.vct.inputs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class KnobTableTest {
  static Stream<KnobSamples.Sample> accepted() {
    return KnobSamples.accepted().stream();
  }

  static Stream<KnobSamples.Sample> refused() {
    return KnobSamples.refused().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void everyDocumentedValueIsAcceptedAndReadBack(KnobSamples.Sample sample) {
    KnobValues values = KnobValues.read(Map.of(sample.knob().jsonName(), sample.value()));
    assertTrue(values.has(sample.knob()));
    Object stored = values.withDefaults().get(sample.knob().jsonName());
    switch (sample.knob().type()) {
      case INTEGER -> assertEquals(((Number) sample.value()).longValue(), stored);
      case NUMBER -> assertEquals(((Number) sample.value()).doubleValue(), stored);
      default -> assertEquals(sample.value(), stored);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void everyValuePastABoundIsRefusedNamingTheKnobAndTheRule(KnobSamples.Sample sample) {
    InvalidKnobException e =
        assertThrows(
            InvalidKnobException.class,
            () -> KnobValues.read(Map.of(sample.knob().jsonName(), sample.value())));
    assertEquals(sample.knob().jsonName(), e.knob());
    boolean typeProblem =
        sample.what().equals("a string")
            || sample.what().equals("a number")
            || sample.what().equals("not an integer");
    assertEquals(
        typeProblem
            ? InvalidKnobException.Problem.WRONG_TYPE
            : InvalidKnobException.Problem.OUT_OF_BOUNDS,
        e.problem(),
        e.getMessage());
    assertTrue(e.getMessage().startsWith(sample.knob().jsonName() + " must be "), e.getMessage());
    assertTrue(e.getMessage().contains(sample.knob().domain().describe()), e.getMessage());
  }

  @Test
  void ddimStepsStopsAtTheEnginesLearningRateDecay() {
    assertEquals("an integer from 1 to 100", Knob.DDIM_STEPS.domain().describe());
    assertThrows(IllegalArgumentException.class, () -> Knob.DDIM_STEPS.require(101));
    assertEquals(100, Knob.DDIM_STEPS.require(100));
  }

  @Test
  void hugeIntegersAndNumbersAreOutOfBoundsNotAnOverflow() {
    InvalidKnobException e =
        assertThrows(
            InvalidKnobException.class,
            () -> KnobValues.read(Map.of("concept_steps", new BigInteger("99999999999999999999"))));
    assertEquals(InvalidKnobException.Problem.OUT_OF_BOUNDS, e.problem());
    assertThrows(
        InvalidKnobException.class,
        () -> KnobValues.read(Map.of("guidance_scale", Double.POSITIVE_INFINITY)));
    assertThrows(IllegalArgumentException.class, () -> Knob.GUIDANCE_SCALE.require(Double.NaN));
  }

  @Test
  void unknownNamesAreRefusedListingTheKnobs() {
    InvalidKnobException e =
        assertThrows(InvalidKnobException.class, () -> KnobValues.read(Map.of("num_steps", 3)));
    assertEquals(InvalidKnobException.Problem.UNKNOWN, e.problem());
    assertEquals("num_steps", e.knob());
    for (Knob knob : Knob.values()) {
      assertTrue(e.getMessage().contains(knob.jsonName()), e.getMessage());
    }
  }

  @Test
  void leftOutKnobsTakeTheirDefaultsAndTheSeedStaysOutUnlessGiven() {
    Map<String, Object> stored = KnobValues.defaults().withDefaults();
    assertFalse(stored.containsKey("seed"));
    assertEquals(Knob.values().length - 1, stored.size());
    assertEquals(50L, stored.get("ddim_steps"));
    assertEquals(7.5, stored.get("guidance_scale"));
    Map<String, Object> given = new HashMap<>();
    given.put("seed", 7);
    given.put("concept_l1_weight", 1);
    given.put("resolution", null);
    KnobValues values = KnobValues.read(given);
    assertEquals(7L, values.withDefaults().get("seed"));
    // an integer given for a number is stored as the number, as the request hash expects
    assertEquals(1.0, values.withDefaults().get("concept_l1_weight"));
    assertEquals(512, values.integer(Knob.RESOLUTION));
    assertFalse(values.has(Knob.RESOLUTION));
  }

  @Test
  void everyStageThatReadsKnobsIsNamedAndEveryKnobIsReadBySome() {
    Set<KnobStage> named = new java.util.HashSet<>();
    for (Knob knob : Knob.values()) {
      // only the dispatch priority changes no stage's output
      assertEquals(knob == Knob.PRIORITY, knob.readBy().isEmpty(), knob.jsonName());
      assertFalse(knob.description().isBlank(), knob.jsonName());
      named.addAll(knob.readBy());
    }
    assertEquals(Set.of(KnobStage.values()), named);
    assertTrue(Knob.mayAffect("guidance_scale", KnobStage.FUSION));
    assertFalse(Knob.mayAffect("guidance_scale", KnobStage.CONCEPT_INVERSION));
    assertTrue(Knob.mayAffect("not_a_knob", KnobStage.CONCEPT_INVERSION));
  }
}
