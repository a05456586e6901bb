package dev.vct.engine.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vct.engine.tensor.SafeTensors;
import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrisqueTest {

  @TempDir Path tmp;

  @Test
  void featuresAndScoresMatchOpenCvOnEveryFixtureImage() throws Exception {
    Path fixture = ScoringTestFiles.fixture("brisque");
    JsonNode images = new ObjectMapper().readTree(fixture.resolve("images.json").toFile());
    try (Brisque brisque =
            Brisque.load(
                fixture.resolve("brisque_model_live.yml"),
                fixture.resolve("brisque_range_live.yml"));
        SafeTensors io = SafeTensors.open(fixture.resolve("io.safetensors"))) {
      float[] features = io.floats("out.features");
      for (int k = 0; k < images.get("images").size(); k++) {
        String name = images.get("images").get(k).asText();
        RgbImage image = ImageFiles.read(fixture.resolve(name));
        float[] ours = Brisque.features(image);
        for (int i = 0; i < Brisque.FEATURES; i++) {
          double expected = images.get("features_float64").get(k).get(i).asDouble();
          assertEquals(expected, ours[i], 1e-4 + 1e-4 * Math.abs(expected), name + " f" + i);
          assertEquals(features[k * Brisque.FEATURES + i], ours[i], 1e-4, name + " f" + i);
        }
        double score = images.get("scores_float64").get(k).asDouble();
        assertEquals(score, brisque.score(image), 1e-2 + 1e-3 * Math.abs(score), name);
      }
    }
  }

  @Test
  void aFlatPictureScoresTheWorst100AsOpenCvGivesIt() throws Exception {
    Path[] files = ScoringTestFiles.brisqueModelFiles(tmp);
    byte[] gray = new byte[3 * 64 * 64];
    Arrays.fill(gray, (byte) 128);
    try (Brisque brisque = Brisque.load(files[0], files[1])) {
      assertEquals(100.0, brisque.score(new RgbImage(64, 64, gray)));
    }
  }

  @Test
  void aOnePixelPictureIsRefusedWithTheMinimumSize() throws Exception {
    Path[] files = ScoringTestFiles.brisqueModelFiles(tmp);
    try (Brisque brisque = Brisque.load(files[0], files[1])) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> brisque.score(new RgbImage(1, 1, new byte[] {1, 2, 3})));
      assertTrue(e.getMessage().contains("at least 2x2"), e.getMessage());
      assertEquals(100.0, brisque.score(new RgbImage(2, 2, new byte[12])), 1e-9);
    }
  }

  @Test
  void missingOrMalformedModelFilesAreRefusedNamingTheFile() throws Exception {
    Path[] files = ScoringTestFiles.brisqueModelFiles(tmp);
    Path absent = tmp.resolve("absent.yml");
    ModelFileException missing =
        assertThrows(ModelFileException.class, () -> Brisque.load(absent, files[1]));
    assertTrue(missing.getMessage().contains("absent.yml"), missing.getMessage());

    Path garbage = Files.writeString(tmp.resolve("garbage.yml"), "%YAML:1.0\nnot: [a model\n");
    ModelFileException malformed =
        assertThrows(ModelFileException.class, () -> Brisque.load(garbage, files[1]));
    assertTrue(malformed.getMessage().contains("garbage.yml"), malformed.getMessage());
    assertTrue(!malformed.getMessage().contains("/home/runner"), malformed.getMessage());
  }
}
