package dev.vct.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.inputs.InvalidKnobException;
import dev.vct.inputs.Knob;
import dev.vct.inputs.KnobSamples;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.job.Stage;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The stages read exactly the knobs {@link Knob#readBy} says they read (the orchestrator's
 * embedding cache relies on it, so a stage that read an unlisted knob would be served an embedding
 * learned with another value), and every value the table accepts becomes stage parameters the
 * engine accepts.
 */
class VctParametersTest {
  private static final long SEED = 1;

  /** A value other than the default for every knob. */
  private static final Map<Knob, Object> OTHER_VALUES = new EnumMap<>(Knob.class);

  static {
    OTHER_VALUES.put(Knob.CONCEPT_STEPS, 7);
    OTHER_VALUES.put(Knob.CONCEPT_TOKENS, 2);
    OTHER_VALUES.put(Knob.INITIALIZER_WORD, "dog");
    OTHER_VALUES.put(Knob.CONCEPT_LEARNING_RATE, 0.001);
    OTHER_VALUES.put(Knob.CONCEPT_L1_WEIGHT, 0.5);
    OTHER_VALUES.put(Knob.SEED, 99L);
    OTHER_VALUES.put(Knob.CONTENT_LEARNING_RATE, 0.02);
    OTHER_VALUES.put(Knob.CONTENT_INNER_STEPS, 7);
    OTHER_VALUES.put(Knob.CONTENT_EARLY_STOP_EPSILON, 1e-3);
    OTHER_VALUES.put(Knob.DDIM_STEPS, 7);
    OTHER_VALUES.put(Knob.GUIDANCE_SCALE, 5.0);
    OTHER_VALUES.put(Knob.RESOLUTION, 64);
    OTHER_VALUES.put(Knob.SELF_INJECTION_RATIO, 0.5);
    OTHER_VALUES.put(Knob.CROSS_INJECTION_RATIO, 0.5);
    OTHER_VALUES.put(Knob.CORRECTED_TOKEN_INDEXING, true);
  }

  @Test
  void eachStageReadsExactlyTheKnobsTheTableGivesIt() {
    assertEquals(EnumSet.allOf(Knob.class), EnumSet.copyOf(OTHER_VALUES.keySet()));
    for (Knob knob : Knob.values()) {
      Object value = OTHER_VALUES.get(knob);
      // The seed reaches the worker in the request; the parameters repeat it when it was chosen.
      long seed = knob == Knob.SEED ? (Long) value : SEED;
      StageRequest changed = request(Map.of(knob.jsonName(), value), seed);
      for (Stage stage :
          EnumSet.of(Stage.CONTENT_INVERSION, Stage.CONCEPT_INVERSION, Stage.FUSION)) {
        boolean read =
            !stageParams(stage, request(Map.of(), SEED)).equals(stageParams(stage, changed));
        assertEquals(
            stage.mayDependOn(knob.jsonName()),
            read,
            knob.jsonName() + (read ? " changes " : " does not change ") + stage.code());
      }
    }
  }

  static Stream<KnobSamples.Sample> accepted() {
    return KnobSamples.accepted().stream();
  }

  /** The worker's reading and the engine's own checks accept every value the table documents. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void everyDocumentedValueBecomesParametersTheEngineAccepts(KnobSamples.Sample sample) {
    long seed = sample.knob() == Knob.SEED ? ((Number) sample.value()).longValue() : SEED;
    StageRequest request = request(Map.of(sample.knob().jsonName(), sample.value()), seed);
    for (Stage stage : EnumSet.of(Stage.CONTENT_INVERSION, Stage.CONCEPT_INVERSION, Stage.FUSION)) {
      stageParams(stage, request);
    }
  }

  static Stream<KnobSamples.Sample> refused() {
    return KnobSamples.refused().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void everyValuePastABoundIsBadInputForTheWorker(KnobSamples.Sample sample) {
    InvalidKnobException error =
        assertThrows(
            InvalidKnobException.class,
            () ->
                VctParameters.of(request(Map.of(sample.knob().jsonName(), sample.value()), SEED)));
    assertEquals(sample.knob().jsonName(), error.knob());
  }

  /** Issue 15: the content path and fusion's content branch follow one guidance. */
  @Test
  void guidanceScaleGuidesContentInversionsFitAndLatentUpdateAndFusion() {
    VctParameters parameters = VctParameters.of(request(Map.of("guidance_scale", 3.0), SEED));
    assertEquals(3.0, parameters.content().guidance());
    assertEquals(3.0, parameters.content().updateGuidance());
    assertEquals(3.0, parameters.fusion().guidance());
    VctParameters defaults = VctParameters.of(request(Map.of(), SEED));
    assertEquals(7.5, defaults.content().updateGuidance(), "the official value by default");
  }

  @Test
  void anUnknownKnobIsRefusedNamingTheKnownOnes() {
    IllegalArgumentException error =
        assertThrows(
            IllegalArgumentException.class,
            () -> VctParameters.of(request(Map.of("guidance", 5.0), SEED)));
    assertTrue(error.getMessage().contains("'guidance'"), error.getMessage());
    assertTrue(
        Arrays.stream(Knob.values()).allMatch(p -> error.getMessage().contains(p.jsonName())),
        error.getMessage());
  }

  private static Object stageParams(Stage stage, StageRequest request) {
    VctParameters parameters = VctParameters.of(request);
    return switch (stage) {
      case CONTENT_INVERSION -> parameters.content();
      case CONCEPT_INVERSION -> parameters.concept(request.seed());
      case FUSION -> parameters.fusion();
      case SCORING -> throw new IllegalArgumentException("scoring reads no knob");
    };
  }

  private static StageRequest request(Map<String, Object> parameters, long seed) {
    return StageRequest.of(
        new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), Stage.CONTENT_INVERSION, 1),
        Map.of(),
        Map.of(),
        parameters,
        null,
        "tiny",
        seed,
        Instant.now().plusSeconds(3600));
  }
}
