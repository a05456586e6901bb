package dev.vct.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DdimScheduleTest {

  private static NDManager manager;
  private static final DdimScheduler SD = new DdimScheduler(DdimSchedulerConfig.stableDiffusion());

  @BeforeAll
  static void startEngine() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void stopEngine() {
    manager.close();
  }

  @Test
  void stableDiffusionTimestepsAreLeadingWithOffsetOne() {
    int[] fifty = SD.setTimesteps(50).timesteps();
    assertEquals(981, fifty[0]);
    assertEquals(961, fifty[1]);
    assertEquals(1, fifty[49]);
    assertArrayEquals(
        new int[] {901, 801, 701, 601, 501, 401, 301, 201, 101, 1},
        SD.setTimesteps(10).timesteps());
    assertEquals(100, SD.setTimesteps(10).stepRatio());
    assertEquals(SD.alphasCumprod()[0], SD.finalAlphaCumprod());
  }

  @Test
  void otherSpacingsFollowDiffusers() {
    DdimSchedulerConfig sd = DdimSchedulerConfig.stableDiffusion();
    DdimSchedulerConfig trailing =
        new DdimSchedulerConfig(
            1000, 0.00085, 0.012, "scaled_linear", null, false, 1, false, 0, "epsilon", "trailing");
    assertArrayEquals(
        new int[] {999, 899, 799, 699, 599, 499, 399, 299, 199, 99},
        new DdimScheduler(trailing).setTimesteps(10).timesteps());
    DdimSchedulerConfig linspace =
        new DdimSchedulerConfig(
            1000, 0.00085, 0.012, "scaled_linear", null, false, 1, false, 0, "epsilon", "linspace");
    assertArrayEquals(
        new int[] {999, 500, 0}, new DdimScheduler(linspace).setTimesteps(3).timesteps());
    assertArrayEquals(
        new int[] {900, 800, 700, 600, 500, 400, 300, 200, 100, 0},
        new DdimScheduler(sd.withStepsOffset(0)).setTimesteps(10).timesteps());
  }

  @Test
  void configDefaultsAndValidationNameTheOffendingValue() throws Exception {
    ObjectMapper json = new ObjectMapper();
    DdimSchedulerConfig defaults = DdimSchedulerConfig.fromJson(json.readTree("{}"));
    assertEquals("linear", defaults.betaSchedule());
    assertTrue(defaults.setAlphaToOne());
    assertEquals(1f, new DdimScheduler(defaults).finalAlphaCumprod());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DdimSchedulerConfig.fromJson(json.readTree("{\"beta_schedule\":\"cosine\"}")));
    assertTrue(e.getMessage().contains("beta_schedule 'cosine' is not supported"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DdimSchedulerConfig.fromJson(json.readTree("{\"thresholding\":true}")));
    assertTrue(e.getMessage().contains("thresholding"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SD.setTimesteps(0));
    assertTrue(e.getMessage().contains("got 0"), e.getMessage());
  }

  @Test
  void stepMatchesTheClosedFormInDoublePrecision() {
    DdimSchedule schedule = SD.setTimesteps(50);
    float[] x = {0.3f, -1.2f, 2f};
    float[] eps = {-0.5f, 0.1f, 0.7f};
    int t = 481;
    DdimStep step = schedule.step(manager.create(eps), t, manager.create(x));
    double a = SD.alphaCumprod(t);
    double ap = SD.alphaCumprod(t - 20);
    float[] prev = step.prevSample().toFloatArray();
    float[] x0 = step.predOriginalSample().toFloatArray();
    for (int i = 0; i < x.length; i++) {
      double expectedX0 = (x[i] - Math.sqrt(1 - a) * eps[i]) / Math.sqrt(a);
      assertEquals(expectedX0, x0[i], 1e-5);
      assertEquals(Math.sqrt(ap) * expectedX0 + Math.sqrt(1 - ap) * eps[i], prev[i], 1e-5);
    }
  }

  @Test
  void inversionStepUndoesTheDenoisingStepForTheSameNoise() {
    DdimSchedule schedule = SD.setTimesteps(10);
    NDArray x = manager.randomNormal(new ai.djl.ndarray.types.Shape(2, 4, 3, 3));
    NDArray eps = manager.randomNormal(x.getShape());
    for (int t : schedule.timesteps()) {
      NDArray down = schedule.prevStep(eps, t, x);
      NDArray up = schedule.nextStep(eps, t, down);
      assertTrue(up.sub(x).abs().max().getFloat() < 1e-4, "round trip at t=" + t);
      assertEquals(
          0f, schedule.step(eps, t, x).prevSample().sub(down).abs().max().getFloat(), 1e-6);
    }
  }

  @Test
  void stepIsDifferentiableWithRespectToTheModelOutput() {
    DdimSchedule schedule = SD.setTimesteps(50);
    int t = 981;
    try (NDManager m = manager.newSubManager()) {
      NDArray eps = m.create(new float[] {0.2f, -0.4f});
      eps.setRequiresGradient(true);
      NDArray x = m.create(new float[] {1f, 2f});
      try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
        NDArray prev = schedule.step(eps, t, x).prevSample();
        gc.backward(prev.sum());
      }
      // d prev / d eps = -√ᾱ_prev √(1-ᾱ_t) / √ᾱ_t + √(1-ᾱ_prev)
      double a = SD.alphaCumprod(t);
      double ap = SD.alphaCumprod(t - 20);
      double expected = -Math.sqrt(ap) * Math.sqrt(1 - a) / Math.sqrt(a) + Math.sqrt(1 - ap);
      for (float g : eps.getGradient().toFloatArray()) {
        assertEquals(expected, g, 1e-5);
      }
    }
  }
}
