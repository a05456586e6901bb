package dev.vct.engine.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The input gradient of a convolution against central finite differences, at the shapes where
 * libtorch hands CPU convolutions to oneDNN (batch above one, or more than 20480 input values):
 * oneDNN's backward was wrong there on the build machines' CPUs (see {@link OneDnn}).
 */
class ConvolutionGradientTest {

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return sum;
  }

  @ParameterizedTest(name = "batch {0}, {1} channels, {2}x{2}, kernel {3}, stride {4}")
  @CsvSource({
    "1, 8, 4, 3, 1", // libtorch's own kernel
    "2, 8, 4, 3, 1", // oneDNN by batch
    "2, 8, 4, 1, 1",
    "2, 8, 8, 3, 2",
    "1, 32, 32, 3, 1" // oneDNN by size
  })
  void inputGradientMatchesCentralDifferences(
      int batch, int channels, int size, int kernel, int stride) {
    assumeFalse("on".equals(System.getenv(OneDnn.ENV)), "oneDNN kept on by " + OneDnn.ENV + "=on");
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(3);
      Conv2d conv =
          new Conv2d(
              m.randomNormal(new Shape(6, channels, kernel, kernel)),
              m.randomNormal(new Shape(6)),
              stride,
              (kernel - 1) / 2);
      assertFalse(OneDnn.configure(), "oneDNN is off by default");
      NDArray x0 = m.randomNormal(new Shape(batch, channels, size, size));
      NDArray x = x0.duplicate();
      x.setRequiresGradient(true);
      NDArray weights;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y = conv.forward(x);
        weights = m.randomNormal(y.getShape());
        gc.backward(y.mul(weights).sum());
      }
      float[] gradient = x.getGradient().toFloatArray();
      double h = 1e-2;
      for (int k = 0; k < 2; k++) {
        NDArray direction = m.randomNormal(x0.getShape());
        NDArray step = direction.mul(m.full(new Shape(), (float) h));
        double plus = conv.forward(x0.add(step)).mul(weights).sum().getFloat();
        double minus = conv.forward(x0.sub(step)).mul(weights).sum().getFloat();
        double numeric = (plus - minus) / (2 * h);
        double analytic = dot(gradient, direction.toFloatArray());
        assertTrue(
            Math.abs(numeric - analytic) <= 1e-3 * Math.abs(analytic) + 1e-2,
            "direction " + k + ": finite difference " + numeric + " vs backprop " + analytic);
      }
    }
  }
}
