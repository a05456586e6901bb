package dev.vct.engine.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.inputs.image.RgbImage;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScorerTest {

  @TempDir static Path tmp;

  private static ScoringModels models;

  @BeforeAll
  static void modelFiles() throws Exception {
    Path[] brisque = ScoringTestFiles.brisqueModelFiles(tmp);
    models =
        new ScoringModels(ScoringTestFiles.randomLpipsWeights(tmp, 21), brisque[0], brisque[1]);
  }

  @Test
  void scoresAreLpipsAgainstTheSourceAndBrisqueOfTheResultWithTheFilesThatMadeThem() {
    RgbImage source = LpipsTest.randomImage(64, 40, 1);
    RgbImage result = LpipsTest.randomImage(64, 40, 2);
    try (Scorer scorer = Scorer.open(models);
        Lpips lpips = Lpips.load(models.lpipsWeights());
        Brisque brisque = Brisque.load(models.brisqueModel(), models.brisqueRange())) {
      Scores scores = scorer.score(source, result);
      assertEquals(lpips.distance(source, result).distance(), scores.lpips(), 0);
      assertEquals(brisque.score(result), scores.brisque(), 0);
      assertEquals(WeightFile.of(models.lpipsWeights()), scores.lpipsWeights());
      assertEquals("brisque_model_live.yml", scores.brisqueModel().fileName());
      assertEquals(
          "a18427f4f7ad087524bd0d63389649a3899b51ca6d44a4d5f8d8171f1f914a9c",
          scores.brisqueRange().sha256());
      assertEquals(scores, scorer.score(source, result), "the models stay loaded and agree");
    }
  }

  @Test
  void picturesOfDifferentSizesOrTooSmallAreRefusedWithTheSizes() {
    try (Scorer scorer = Scorer.open(models)) {
      IllegalArgumentException mismatch =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  scorer.score(LpipsTest.randomImage(64, 64, 1), LpipsTest.randomImage(32, 32, 1)));
      assertTrue(mismatch.getMessage().contains("64x64"), mismatch.getMessage());
      assertTrue(mismatch.getMessage().contains("32x32"), mismatch.getMessage());
      IllegalArgumentException tiny =
          assertThrows(
              IllegalArgumentException.class,
              () -> scorer.score(LpipsTest.randomImage(1, 1, 1), LpipsTest.randomImage(1, 1, 2)));
      assertTrue(tiny.getMessage().contains("at least 31x31"), tiny.getMessage());
    }
  }

  @Test
  void everyUnsetOrMissingModelFileIsListedInOneMessage() {
    ModelFileException e =
        assertThrows(
            ModelFileException.class,
            () ->
                ScoringModels.resolve(
                    Map.of(ScoringModels.Setting.BRISQUE_MODEL, tmp.resolve("x.yml").toString()),
                    Map.of("VCT_BRISQUE_RANGE", models.brisqueRange().toString())));
    String message = e.getMessage();
    assertTrue(message.contains("--lpips-weights FILE or set VCT_LPIPS_WEIGHTS"), message);
    assertTrue(message.contains("x.yml (from --brisque-model)"), message);
    assertTrue(!message.contains("VCT_BRISQUE_RANGE"), "the range file is fine: " + message);
  }
}
