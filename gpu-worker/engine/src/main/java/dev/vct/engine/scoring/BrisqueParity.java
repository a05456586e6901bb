package dev.vct.engine.scoring;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.RgbImage;
import java.util.List;

/**
 * Oracle fixture {@code brisque}: every PNG of {@code images.json} read as cv2.imread(IMREAD_COLOR)
 * does, then OpenCV's BRISQUE features and score with the fixture's LIVE model files.
 */
public final class BrisqueParity implements ParityCheck {

  @Override
  public String component() {
    return "brisque";
  }

  @Override
  public List<Comparison> run(Fixture fixture) throws Exception {
    JsonNode names =
        new ObjectMapper().readTree(fixture.resolve("images.json").toFile()).get("images");
    float[] features = new float[names.size() * Brisque.FEATURES];
    float[] scores = new float[names.size()];
    try (Brisque brisque =
        Brisque.load(
            fixture.resolve("brisque_model_live.yml"), fixture.resolve("brisque_range_live.yml"))) {
      for (int k = 0; k < names.size(); k++) {
        RgbImage image = ImageFiles.read(fixture.resolve(names.get(k).asText()));
        System.arraycopy(
            Brisque.features(image), 0, features, k * Brisque.FEATURES, Brisque.FEATURES);
        scores[k] = (float) brisque.score(image);
      }
    }
    NDManager m = fixture.manager();
    return List.of(
        fixture.compare("features", m.create(features, new Shape(names.size(), Brisque.FEATURES))),
        fixture.compare("scores", m.create(scores)));
  }
}
