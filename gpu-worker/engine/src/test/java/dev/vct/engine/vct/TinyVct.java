package dev.vct.engine.vct;

import ai.djl.Device;
import dev.vct.engine.model.TinyModelWriter;
import java.nio.file.Path;

/** A tiny random SD-1.x model (init-tiny) and small inputs for stage tests. */
final class TinyVct {
  /** Latents 8 x 8, like the oracle fixtures. */
  static final int RESOLUTION = 64;

  private TinyVct() {}

  static VctModels load(Path dir) {
    new TinyModelWriter(3, TinyModelWriter.WeightDtype.FP32).write(dir);
    return VctModels.load(dir, Device.cpu(), VctModels.DEFAULT_MAX_ATTENTION_SCORES);
  }

  /** A smooth (1, 3, r, r) test picture in [-1, 1], different per seed. */
  static float[] image(int r, int seed) {
    float[] out = new float[3 * r * r];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < r; y++) {
        for (int x = 0; x < r; x++) {
          double v = Math.sin(0.11 * (x + 3 * seed) * (c + 1)) * Math.cos(0.07 * y * (seed + 2));
          out[(c * r + y) * r + x] = (float) (0.9 * v);
        }
      }
    }
    return out;
  }

  static ConceptInversionParams conceptParams() {
    return ConceptInversionParams.defaults()
        .withSteps(3)
        .withResolution(RESOLUTION)
        .withSeed(42)
        .withInitializerWord("portrait");
  }

  static ContentInversionParams contentParams() {
    return ContentInversionParams.defaults().withSteps(4, 3).withResolution(RESOLUTION);
  }
}
