package dev.vct.orchestrator.job;

import static dev.vct.storage.job.Stage.CONCEPT_INVERSION;
import static dev.vct.storage.job.Stage.CONTENT_INVERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vct.storage.blob.Sha256;
import dev.vct.storage.embedding.EmbeddingKind;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.Stage;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Which job parameters key each inversion's cached embedding. */
class InversionKeysTest {
  private static final Map<String, Object> BASE =
      Map.ofEntries(
          Map.entry("concept_steps", 500),
          Map.entry("concept_tokens", 3),
          Map.entry("initializer_word", "girl"),
          Map.entry("concept_learning_rate", 0.002),
          Map.entry("concept_l1_weight", 1.0),
          Map.entry("content_learning_rate", 0.01),
          Map.entry("content_inner_steps", 50),
          Map.entry("content_early_stop_epsilon", 1e-5),
          Map.entry("guidance_scale", 7.5),
          Map.entry("self_injection_ratio", 0.9),
          Map.entry("cross_injection_ratio", 0.2),
          Map.entry("ddim_steps", 50),
          Map.entry("resolution", 512),
          Map.entry("corrected_token_indexing", false));

  @Test
  void fusionKnobsChangeNeitherInversionsKey() {
    Map<String, Object> other =
        with(
            Map.of(
                "self_injection_ratio", 0.5,
                "cross_injection_ratio", 0.4,
                "corrected_token_indexing", true));
    for (Stage stage : new Stage[] {CONTENT_INVERSION, CONCEPT_INVERSION}) {
      assertEquals(keys(BASE, 1, stage), keys(other, 1, stage), stage.code());
    }
  }

  @Test
  void contentKnobsAndGuidanceChangeOnlyTheContentKey() {
    for (Map.Entry<String, Object> knob :
        Map.<String, Object>of(
                "guidance_scale", 5.0,
                "content_inner_steps", 10,
                "content_learning_rate", 0.02,
                "content_early_stop_epsilon", 1e-4,
                "ddim_steps", 20)
            .entrySet()) {
      Map<String, Object> other = with(Map.of(knob.getKey(), knob.getValue()));
      assertEquals(keys(BASE, 1, CONCEPT_INVERSION), keys(other, 1, CONCEPT_INVERSION));
      assertNotEquals(
          keys(BASE, 1, CONTENT_INVERSION), keys(other, 1, CONTENT_INVERSION), knob.getKey());
    }
  }

  @Test
  void conceptKnobsChangeOnlyTheConceptKey() {
    for (Map.Entry<String, Object> knob :
        Map.<String, Object>of(
                "concept_steps",
                100,
                "concept_tokens",
                2,
                "initializer_word",
                "dog",
                "concept_learning_rate",
                0.001,
                "concept_l1_weight",
                0.0)
            .entrySet()) {
      Map<String, Object> other = with(Map.of(knob.getKey(), knob.getValue()));
      assertEquals(keys(BASE, 1, CONTENT_INVERSION), keys(other, 1, CONTENT_INVERSION));
      assertNotEquals(
          keys(BASE, 1, CONCEPT_INVERSION), keys(other, 1, CONCEPT_INVERSION), knob.getKey());
    }
  }

  @Test
  void resolutionChangesBothKeys() {
    Map<String, Object> other = with(Map.of("resolution", 256));
    assertNotEquals(keys(BASE, 1, CONTENT_INVERSION), keys(other, 1, CONTENT_INVERSION));
    assertNotEquals(keys(BASE, 1, CONCEPT_INVERSION), keys(other, 1, CONCEPT_INVERSION));
  }

  @Test
  void aDrawnSeedIsSharedButAChosenSeedKeysTheConcept() {
    assertEquals(keys(BASE, 1, CONCEPT_INVERSION), keys(BASE, 2, CONCEPT_INVERSION));
    Map<String, Object> chosen1 = with(Map.of("seed", 1));
    Map<String, Object> chosen2 = with(Map.of("seed", 2));
    assertNotEquals(keys(chosen1, 1, CONCEPT_INVERSION), keys(chosen2, 2, CONCEPT_INVERSION));
    assertNotEquals(keys(BASE, 1, CONCEPT_INVERSION), keys(chosen1, 1, CONCEPT_INVERSION));
    assertEquals(keys(chosen1, 1, CONTENT_INVERSION), keys(chosen2, 2, CONTENT_INVERSION));
  }

  @Test
  void aKnobTheTableDoesNotKnowKeysBothInversions() {
    Map<String, Object> other = with(Map.of("future_knob", 3));
    assertNotEquals(keys(BASE, 1, CONTENT_INVERSION), keys(other, 1, CONTENT_INVERSION));
    assertNotEquals(keys(BASE, 1, CONCEPT_INVERSION), keys(other, 1, CONCEPT_INVERSION));
  }

  @Test
  void theHashIsVersionedApartFromTheWholeParameterHashOfEarlierRows() {
    Map<String, Object> conceptOnly = Map.of("concept_steps", 500);
    // What the catalogue's earlier rows hold: the sha256 of the whole parameter map's JSON.
    String earlier = Sha256.hex("{\"concept_steps\":500}");
    String now = InversionKeys.paramHash(CONCEPT_INVERSION, conceptOnly);
    assertNotEquals(earlier, now);
    assertEquals(
        Sha256.hex(InversionKeys.HASH_VERSION + "\nconcept_inversion\n{\"concept_steps\":500}"),
        now);
  }

  @Test
  void contentHashesMovedToVersionThreeWhenTheLatentUpdateFollowedTheGuidance() {
    Map<String, Object> guided = Map.of("guidance_scale", 3.0);
    String now = InversionKeys.paramHash(CONTENT_INVERSION, guided);
    assertEquals(
        Sha256.hex(
            InversionKeys.CONTENT_HASH_VERSION + "\ncontent_inversion\n{\"guidance_scale\":3.0}"),
        now);
    assertNotEquals(
        Sha256.hex(InversionKeys.HASH_VERSION + "\ncontent_inversion\n{\"guidance_scale\":3.0}"),
        now);
  }

  @Test
  void keysNameTheEmbeddingKindAndInput() {
    Job job = job(BASE, 1);
    InversionKeys concept = InversionKeys.of(job, CONCEPT_INVERSION);
    InversionKeys content = InversionKeys.of(job, CONTENT_INVERSION);
    assertEquals(EmbeddingKind.CONCEPT, concept.kind());
    assertEquals(job.referenceSha256, concept.inputSha256());
    assertEquals(EmbeddingKind.CONTENT, content.kind());
    assertEquals(job.sourceSha256, content.inputSha256());
    assertThrows(IllegalArgumentException.class, () -> InversionKeys.of(job, Stage.FUSION));
  }

  private static InversionKeys keys(Map<String, Object> parameters, long seed, Stage stage) {
    return InversionKeys.of(job(parameters, seed), stage);
  }

  private static Job job(Map<String, Object> parameters, long seed) {
    UUID id = UUID.randomUUID();
    return Job.queued(
        id,
        UUID.randomUUID(),
        parameters,
        seed,
        "tiny-sd",
        "inputs/" + id + "/source.png",
        Sha256.hex("source"),
        "inputs/" + id + "/reference.png",
        Sha256.hex("reference"));
  }

  private static Map<String, Object> with(Map<String, Object> changes) {
    Map<String, Object> parameters = new HashMap<>(BASE);
    parameters.putAll(changes);
    return parameters;
  }
}
