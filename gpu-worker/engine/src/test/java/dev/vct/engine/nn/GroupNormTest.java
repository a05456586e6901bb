package dev.vct.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class GroupNormTest {

  @Test
  void matchesTheGroupNormFormulaComputedInDouble() {
    int n = 2, c = 6, h = 3, w = 5, groups = 3;
    float eps = 1e-5f;
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(3);
      NDArray x = m.randomNormal(new Shape(n, c, h, w)).mul(3).add(1);
      NDArray gamma = m.randomNormal(new Shape(c));
      NDArray beta = m.randomNormal(new Shape(c));
      float[] actual = new GroupNorm(groups, gamma, beta, eps).forward(x).toFloatArray();

      float[] xs = x.toFloatArray();
      float[] g = gamma.toFloatArray();
      float[] b = beta.toFloatArray();
      float[] expected = new float[xs.length];
      int perGroup = c / groups * h * w;
      for (int s = 0; s < n * groups; s++) {
        double mean = 0, var = 0;
        for (int i = 0; i < perGroup; i++) {
          mean += xs[s * perGroup + i];
        }
        mean /= perGroup;
        for (int i = 0; i < perGroup; i++) {
          double d = xs[s * perGroup + i] - mean;
          var += d * d;
        }
        var /= perGroup;
        for (int i = 0; i < perGroup; i++) {
          int idx = s * perGroup + i;
          int channel = (idx / (h * w)) % c;
          expected[idx] =
              (float) ((xs[idx] - mean) / Math.sqrt(var + eps) * g[channel] + b[channel]);
        }
      }
      assertArrayEquals(expected, actual, 2e-5f);
    }
  }

  @Test
  void rejectsChannelsThatDoNotSplitIntoGroups() {
    try (NDManager m = NDManager.newBaseManager()) {
      assertThrows(
          IllegalArgumentException.class,
          () -> new GroupNorm(4, m.ones(new Shape(6)), m.zeros(new Shape(6)), 1e-5f));
    }
  }
}
