package dev.vct.gateway.translation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.vct.storage.job.JobParameter;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The knobs the API accepts are the ones the orchestrator and the workers know. */
class TranslationParametersTest {

  @Test
  void everyKnobOfTheApiIsAJobParameterAndBack() {
    TranslationParameters all =
        new TranslationParameters(
            1, 1, "a", 0.1, 0.1, 0.1, 1, 0.1, 1.0, 0.1, 0.1, 1, 64, 7L, true, 3);
    Set<String> api = TranslationService.asMap(all).keySet();
    Set<String> known =
        Arrays.stream(JobParameter.values()).map(JobParameter::code).collect(Collectors.toSet());
    assertEquals(known, api);
  }

  @Test
  void aDrawnSeedIsNotStoredAmongTheKnobs() {
    Map<String, Object> stored = TranslationService.asMap(TranslationParameters.DEFAULTS);
    assertFalse(stored.containsKey("seed"));
  }
}
