package dev.vct.engine.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backpropagation through the whole UNet to the encoder hidden states, checked against central
 * finite differences of the same float32 model along random directions.
 */
class UNetGradientTest {

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return sum;
  }

  @Test
  void gradientWithRespectToEncoderHiddenStatesMatchesCentralDifferences(@TempDir Path tmp)
      throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        UNet2DConditionModel unet =
            UNet2DConditionModel.load(TinyUNets.write(tmp, TinyUNets.CONFIG, 5), m)) {
      m.getEngine().setRandomSeed(11);
      NDArray x = m.randomNormal(new Shape(2, 4, 8, 8));
      NDArray t = m.create(new long[] {250, 600});
      NDArray c0 = m.randomNormal(new Shape(2, 7, 16));
      NDArray weights = m.randomNormal(new Shape(2, 4, 8, 8)); // loss = sum(weights * eps)

      NDArray c = c0.duplicate();
      c.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray loss = unet.forward(x, t, c).mul(weights).sum();
        // A garbage collection between forward and backward exposed wrong gradients from
        // Java-owned scalar operands (STACK.md pitfall 1); the model must survive it.
        System.gc();
        gc.backward(loss);
      }
      float[] gradient = c.getGradient().toFloatArray();
      assertEquals(c0.size(), gradient.length);
      assertTrue(dot(gradient, gradient) > 0, "the gradient reaches the encoder hidden states");

      double h = 1e-2;
      for (int k = 0; k < 3; k++) {
        NDArray direction = m.randomNormal(c0.getShape());
        NDArray step = direction.mul((float) h);
        double plus = unet.forward(x, t, c0.add(step)).mul(weights).sum().getFloat();
        double minus = unet.forward(x, t, c0.sub(step)).mul(weights).sum().getFloat();
        double numeric = (plus - minus) / (2 * h);
        double analytic = dot(gradient, direction.toFloatArray());
        assertTrue(
            Math.abs(numeric - analytic) <= 1e-2 * Math.abs(analytic) + 1e-3,
            "direction " + k + ": finite difference " + numeric + " vs backprop " + analytic);
      }
    }
  }
}
