package dev.vct.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.job.JobParameter;
import dev.vct.storage.job.Stage;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The stages read exactly the knobs {@link JobParameter} says they read: the orchestrator's
 * embedding cache relies on it, so a stage that read an unlisted knob would be served an embedding
 * learned with another value.
 */
class VctParametersTest {
  private static final long SEED = 1;

  /** A value other than the engine's default for every knob. */
  private static final Map<JobParameter, Object> OTHER_VALUES =
      Map.ofEntries(
          Map.entry(JobParameter.CONCEPT_STEPS, 7),
          Map.entry(JobParameter.CONCEPT_TOKENS, 2),
          Map.entry(JobParameter.INITIALIZER_WORD, "dog"),
          Map.entry(JobParameter.CONCEPT_LEARNING_RATE, 0.001),
          Map.entry(JobParameter.CONCEPT_L1_WEIGHT, 0.5),
          Map.entry(JobParameter.SEED, 99L),
          Map.entry(JobParameter.CONTENT_LEARNING_RATE, 0.02),
          Map.entry(JobParameter.CONTENT_INNER_STEPS, 7),
          Map.entry(JobParameter.CONTENT_EARLY_STOP_EPSILON, 1e-3),
          Map.entry(JobParameter.DDIM_STEPS, 7),
          Map.entry(JobParameter.GUIDANCE_SCALE, 5.0),
          Map.entry(JobParameter.RESOLUTION, 64),
          Map.entry(JobParameter.SELF_INJECTION_RATIO, 0.5),
          Map.entry(JobParameter.CROSS_INJECTION_RATIO, 0.5),
          Map.entry(JobParameter.CORRECTED_TOKEN_INDEXING, true));

  @Test
  void eachStageReadsExactlyTheKnobsTheTableGivesIt() {
    assertEquals(EnumSet.allOf(JobParameter.class), EnumSet.copyOf(OTHER_VALUES.keySet()));
    for (JobParameter knob : JobParameter.values()) {
      Object value = OTHER_VALUES.get(knob);
      // The seed reaches the worker in the request; the parameters repeat it when it was chosen.
      long seed = knob == JobParameter.SEED ? (Long) value : SEED;
      StageRequest changed = request(Map.of(knob.code(), value), seed);
      for (Stage stage :
          EnumSet.of(Stage.CONTENT_INVERSION, Stage.CONCEPT_INVERSION, Stage.FUSION)) {
        boolean read =
            !stageParams(stage, request(Map.of(), SEED)).equals(stageParams(stage, changed));
        assertEquals(
            knob.readBy().contains(stage),
            read,
            knob.code() + (read ? " changes " : " does not change ") + stage.code());
      }
    }
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
    assertTrue(error.getMessage().contains("[guidance]"), error.getMessage());
    assertTrue(
        Arrays.stream(JobParameter.values()).allMatch(p -> error.getMessage().contains(p.code())),
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
