package dev.vct.engine.vct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.inputs.InvalidKnobException;
import dev.vct.inputs.Knob;
import dev.vct.inputs.KnobSamples;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The stage parameters check the knobs a client may set against the same table the API validates
 * with: every documented minimum, maximum and default builds parameters, and one step past a bound
 * is refused by the engine itself, so no layer can accept a value another refuses.
 */
class ParamsFollowTheKnobTableTest {
  static Stream<KnobSamples.Sample> accepted() {
    return KnobSamples.accepted().stream().filter(s -> !s.knob().readBy().isEmpty());
  }

  /** Past a bound, with the right JSON type: the engine's records take Java numbers and text. */
  static Stream<KnobSamples.Sample> pastABound() {
    return KnobSamples.refused().stream()
        // a knob no stage reads (the dispatch priority) never reaches the engine
        .filter(s -> !s.knob().readBy().isEmpty())
        .filter(
            s ->
                switch (s.knob().type()) {
                  case INTEGER -> s.value() instanceof Long;
                  case NUMBER -> s.value() instanceof Double;
                  case STRING -> s.value() instanceof String;
                  case BOOLEAN -> false;
                });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void theEngineAcceptsEveryDocumentedValue(KnobSamples.Sample sample) {
    Object built = build(sample.knob(), sample.value());
    assertTrue(built != null, sample.toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pastABound")
  void theEngineRefusesAValuePastABound(KnobSamples.Sample sample) {
    InvalidKnobException e =
        assertThrows(InvalidKnobException.class, () -> build(sample.knob(), sample.value()));
    assertEquals(sample.knob().jsonName(), e.knob());
  }

  /** The stage parameters with the official values but {@code knob} set to {@code value}. */
  private static Object build(Knob knob, Object value) {
    ConceptInversionParams concept = ConceptInversionParams.defaults();
    ContentInversionParams content = ContentInversionParams.defaults();
    FusionParams fusion = FusionParams.defaults();
    return switch (knob) {
      case CONCEPT_STEPS -> concept.withSteps(integer(value));
      case CONCEPT_TOKENS -> concept.withTokens(integer(value));
      case INITIALIZER_WORD -> concept.withInitializerWord((String) value);
      case CONCEPT_LEARNING_RATE ->
          new ConceptInversionParams(
              concept.steps(),
              concept.gradientAccumulation(),
              concept.tokens(),
              concept.initializerWord(),
              concept.placeholder(),
              number(value),
              false,
              concept.beta1(),
              concept.beta2(),
              concept.adamEpsilon(),
              concept.weightDecay(),
              concept.useL1(),
              concept.l1Weight(),
              concept.flipProbability(),
              concept.resolution(),
              concept.seed());
      case CONCEPT_L1_WEIGHT ->
          new ConceptInversionParams(
              concept.steps(),
              concept.gradientAccumulation(),
              concept.tokens(),
              concept.initializerWord(),
              concept.placeholder(),
              concept.learningRate(),
              concept.scaleLearningRate(),
              concept.beta1(),
              concept.beta2(),
              concept.adamEpsilon(),
              concept.weightDecay(),
              concept.useL1(),
              number(value),
              concept.flipProbability(),
              concept.resolution(),
              concept.seed());
      case SEED -> concept.withSeed(((Number) value).longValue());
      case CONTENT_LEARNING_RATE ->
          new ContentInversionParams(
              content.steps(),
              content.innerSteps(),
              content.guidance(),
              content.updateGuidance(),
              number(value),
              content.earlyStopEpsilon(),
              content.earlyStopSlope(),
              content.resolution());
      case CONTENT_INNER_STEPS -> content.withSteps(content.steps(), integer(value));
      case CONTENT_EARLY_STOP_EPSILON ->
          new ContentInversionParams(
              content.steps(),
              content.innerSteps(),
              content.guidance(),
              content.updateGuidance(),
              content.learningRate(),
              number(value),
              content.earlyStopSlope(),
              content.resolution());
      case DDIM_STEPS -> content.withSteps(integer(value), content.innerSteps());
      case GUIDANCE_SCALE -> {
        fusion.withGuidance(number(value));
        yield content.withGuidance(number(value), content.updateGuidance());
      }
      case RESOLUTION -> {
        concept.withResolution(integer(value));
        yield content.withResolution(integer(value));
      }
      case SELF_INJECTION_RATIO -> fusion.withRatios(fusion.crossRatio(), number(value));
      case CROSS_INJECTION_RATIO -> fusion.withRatios(number(value), fusion.selfRatio());
      case CORRECTED_TOKEN_INDEXING -> fusion.withFixedEqualizer((Boolean) value);
      case PRIORITY -> throw new IllegalArgumentException("no stage reads " + knob.jsonName());
    };
  }

  /** An integer knob's value; one past a 32-bit bound would not fit the engine's int. */
  private static int integer(Object value) {
    return Math.toIntExact(((Number) value).longValue());
  }

  private static double number(Object value) {
    return ((Number) value).doubleValue();
  }
}
