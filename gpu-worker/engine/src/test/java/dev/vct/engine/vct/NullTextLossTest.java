package dev.vct.engine.vct;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.vct.engine.scheduler.DdimSchedule;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inner step's loss as one native call gives the bits of the operators called one by one
 * (guidance, DDIM prev step, mean squared error), value and gradient.
 */
class NullTextLossTest {
  @TempDir static Path dir;
  private static VctModels models;

  @BeforeAll
  static void load() {
    models = TinyVct.load(dir.resolve("model"));
  }

  @AfterAll
  static void close() {
    models.close();
  }

  @Test
  void oneCallGivesTheBitsOfTheOperatorsOneByOne() {
    DdimSchedule schedule = VctModels.vctSchedule(10);
    int t = schedule.timesteps()[3];
    Shape shape = new Shape(1, 4, 8, 8);
    try (NDManager m = models.manager().newSubManager()) {
      NDArray uncondValues = m.randomNormal(shape);
      NDArray cond = m.randomNormal(shape);
      NDArray x = m.randomNormal(shape);
      NDArray target = m.randomNormal(shape);
      NullTextLoss.Step step = NullTextLoss.Step.of(m, schedule, t, 7.5);

      float[] expected;
      float[] expectedGradient;
      NDArray leaf = uncondValues.duplicate();
      leaf.setRequiresGradient(true);
      synchronized (Gradients.LOCK) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray eps = ContentInversion.guide(leaf, cond, step.guidance());
          NDArray mse = schedule.prevStep(eps, t, x).sub(target).square().mean();
          expected = mse.toFloatArray();
          gc.backward(mse);
        }
      }
      expectedGradient = leaf.getGradient().toFloatArray();

      NDArray scripted = uncondValues.duplicate();
      scripted.setRequiresGradient(true);
      float[] actual;
      synchronized (Gradients.LOCK) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray mse = models.nullTextLoss().loss(scripted, cond, x, target, step);
          assertEquals(new Shape(), mse.getShape());
          actual = mse.toFloatArray();
          gc.backward(mse);
        }
      }
      assertArrayEquals(expected, actual);
      assertArrayEquals(expectedGradient, scripted.getGradient().toFloatArray());
      double norm = 0;
      for (float g : expectedGradient) {
        norm += g * g;
      }
      assertTrue(norm > 0, "the loss must depend on the fitted prediction");
    }
  }
}
