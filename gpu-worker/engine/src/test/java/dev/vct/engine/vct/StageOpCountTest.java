package dev.vct.engine.vct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libtorch operators per content-inversion inner step (issue 14 item 3): the per-call overhead of
 * the stage's most repeated step, counted by torch's profiler, so it cannot creep back unnoticed.
 */
class StageOpCountTest {

  /** Measured on the tiny model after the overhead work (18,576 before; docs/bench-vct.md). */
  private static final long MAX_OPS_PER_INNER_STEP = 16_572;

  @TempDir static Path dir;
  private static VctModels models;
  private static final float[] SOURCE = TinyVct.image(TinyVct.RESOLUTION, 2);

  @BeforeAll
  static void load() {
    models = TinyVct.load(dir.resolve("model"));
  }

  @AfterAll
  static void close() {
    models.close();
  }

  /** Ops of the first optimised timestep with {@code inner} inner steps (no early stop). */
  private static long optimisationStepOps(int inner) {
    ContentInversionParams params =
        new ContentInversionParams(4, inner, 7.5, 7.5, 1e-2, 0.0, 0.0, TinyVct.RESOLUTION);
    ContentInversion stage = ContentInversion.start(models, params, SOURCE);
    stage.runUntil(4, ProgressListener.NONE, Cancellation.NEVER);
    long ops =
        NativeOpCounter.count(
            dir, () -> stage.runUntil(5, ProgressListener.NONE, Cancellation.NEVER));
    assertEquals(inner, stage.innerIterations()[0]);
    return ops;
  }

  @Test
  void contentInversionInnerStepRunsNoMoreOperatorsThanMeasured() {
    optimisationStepOps(1); // warm-up: first calls may initialise kernels
    long one = optimisationStepOps(1);
    long three = optimisationStepOps(3);
    long perInner = (three - one) / 2;
    System.out.printf(
        "content inversion: %d operators per inner step, %d for the rest of a timestep%n",
        perInner, one - perInner);
    assertTrue(
        perInner <= MAX_OPS_PER_INNER_STEP,
        perInner + " operators per inner step, at most " + MAX_OPS_PER_INNER_STEP + " expected");
  }
}
