package dev.vct.engine.vct;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentInversionTest {

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

  @Test
  void resumedContentInversionMatchesUninterruptedRunBitForBit() {
    ContentInversionParams params = TinyVct.contentParams();
    ContentInversion whole = ContentInversion.start(models, params, SOURCE);
    whole.run(ProgressListener.NONE, Cancellation.NEVER);
    ContentEmbedding expected = whole.result();
    // inside the DDIM inversion, at the switch to the optimisation, and inside it
    for (int stop : new int[] {1, 4, 5, 7}) {
      ContentInversion first = ContentInversion.start(models, params, SOURCE);
      first.runUntil(stop, ProgressListener.NONE, Cancellation.NEVER);
      Path file = dir.resolve("content-" + stop + ".safetensors");
      first.saveCheckpoint(file);
      ContentInversion resumed =
          ContentInversion.resume(
              models, params, StageCheckpoint.read(file), ContentInversion.sourceHash(SOURCE));
      resumed.run(ProgressListener.NONE, Cancellation.NEVER);
      assertEquals(expected, resumed.result(), "resumed after step " + stop);
      assertArrayEquals(whole.innerLosses(), resumed.innerLosses());
      assertArrayEquals(whole.innerIterations(), resumed.innerIterations());
    }
  }

  @Test
  void earlyStopEndsATimestepAfterTheFirstLossBelowTheThreshold() {
    // epsilon at its documented maximum; the slope (not a client knob) lifts the threshold of
    // timesteps 1.. above any loss of the tiny model
    ContentInversionParams loose =
        new ContentInversionParams(4, 3, 7.5, 7.5, 1e-2, 1.0, 100.0, TinyVct.RESOLUTION);
    ContentInversion stage = ContentInversion.start(models, loose, SOURCE);
    stage.run(ProgressListener.NONE, Cancellation.NEVER);
    int[] iterations = stage.innerIterations();
    float[] losses = stage.innerLosses();
    assertArrayEquals(new int[] {1, 1, 1}, Arrays.copyOfRange(iterations, 1, 4));
    // timestep 0 (threshold 1.0): every loss but the last is at or above it, and the last is
    // below it unless all inner steps ran
    for (int j = 0; j < iterations[0] - 1; j++) {
      assertTrue(losses[j] >= 1.0, "loss " + losses[j] + " of step " + j + " should have stopped");
    }
    assertTrue(iterations[0] == 3 || losses[iterations[0] - 1] < 1.0, Arrays.toString(losses));
    assertEquals(iterations[0] + 3, losses.length);
    ContentInversion strict = ContentInversion.start(models, TinyVct.contentParams(), SOURCE);
    strict.run(ProgressListener.NONE, Cancellation.NEVER);
    assertEquals(4 * 3, strict.innerLosses().length);
  }

  @Test
  void reportsEveryStepAndStopsWhenCancelled() {
    ContentInversionParams params = TinyVct.contentParams();
    ContentInversion stage = ContentInversion.start(models, params, SOURCE);
    Cancellation.Flag flag = Cancellation.flag();
    int[] last = {0};
    stage.run(
        (step, total, loss) -> {
          assertEquals(last[0] + 1, step);
          assertEquals(8, total);
          assertEquals(step > 4, Double.isFinite(loss), "losses only while optimising");
          last[0] = step;
          if (step == 6) {
            flag.cancel();
          }
        },
        flag);
    assertEquals(6, stage.completedSteps());
  }

  @Test
  void resultHoldsOneEmbeddingPerTimestepAndTheInvertedNoise() {
    ContentInversion stage = ContentInversion.start(models, TinyVct.contentParams(), SOURCE);
    stage.run(ProgressListener.NONE, Cancellation.NEVER);
    ContentEmbedding result = stage.result();
    assertEquals(4, result.steps());
    assertEquals(77 * models.textHidden(), result.embedding(0).length);
    assertArrayEquals(stage.trajectory()[4], result.noiseLatent());
    assertTrue(
        !Arrays.equals(result.embedding(0), result.embedding(3)),
        "each timestep has its own embedding");
    Path file = dir.resolve("content.safetensors");
    result.save(file);
    assertEquals(result, ContentEmbedding.load(file));
  }
}
