package dev.vct.engine.vct;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConceptInversionTest {

  @TempDir static Path dir;
  private static VctModels models;
  private static final float[] REFERENCE = TinyVct.image(TinyVct.RESOLUTION, 1);

  @BeforeAll
  static void load() {
    models = TinyVct.load(dir.resolve("model"));
  }

  @AfterAll
  static void close() {
    models.close();
  }

  private static ConceptEmbedding uninterrupted(ConceptInversionParams params) {
    ConceptInversion stage = ConceptInversion.start(models, params, REFERENCE);
    stage.run(ProgressListener.NONE, Cancellation.NEVER);
    return stage.result();
  }

  @Test
  void resumedConceptInversionMatchesUninterruptedRunBitForBit() {
    ConceptInversionParams params = TinyVct.conceptParams();
    ConceptEmbedding expected = uninterrupted(params);
    for (int stop : new int[] {0, 1, 2}) {
      ConceptInversion first = ConceptInversion.start(models, params, REFERENCE);
      first.runUntil(stop, ProgressListener.NONE, Cancellation.NEVER);
      Path file = dir.resolve("concept-" + stop + ".safetensors");
      first.saveCheckpoint(file);
      ConceptInversion resumed =
          ConceptInversion.resume(models, params, REFERENCE, StageCheckpoint.read(file));
      assertEquals(stop, resumed.completedSteps());
      resumed.run(ProgressListener.NONE, Cancellation.NEVER);
      assertEquals(expected, resumed.result(), "resumed after step " + stop);
    }
  }

  /**
   * The concept batch only chunks the accumulation window: batches of 1 (the sequential form), 2, 3
   * (chunks of 3 and 1) and 4 give the same losses and rows within float rounding, and more than
   * the accumulation runs the window whole.
   */
  @Test
  void everyConceptBatchGivesTheSameEmbeddingWithinRounding() {
    ConceptInversionParams params = TinyVct.conceptParams();
    float[] initial = ConceptInversion.start(models, params, REFERENCE).rows();
    ConceptInversion whole = ConceptInversion.start(models, params, REFERENCE);
    assertEquals(params.gradientAccumulation(), whole.batchSize(), "default at 64 px: the window");
    List<Double> wholeLosses = new ArrayList<>();
    whole.run((step, total, loss) -> wholeLosses.add(loss), Cancellation.NEVER);
    float[] expected = whole.result().rows();
    assertTrue(maxAbsDifference(initial, expected) > 1e-3, "training moved the rows");
    for (int batch : new int[] {1, 2, 3, 8}) {
      ConceptInversion chunked = ConceptInversion.start(models, params, REFERENCE).batchSize(batch);
      assertEquals(Math.min(batch, params.gradientAccumulation()), chunked.batchSize());
      List<Double> losses = new ArrayList<>();
      chunked.run((step, total, loss) -> losses.add(loss), Cancellation.NEVER);
      float[] rows = chunked.result().rows();
      double difference = maxAbsDifference(expected, rows);
      System.out.println("ConceptInversionTest: batch " + batch + " max |Δrow| = " + difference);
      assertTrue(difference < 1e-6, "batch " + batch + ": rows differ by " + difference);
      assertEquals(wholeLosses.size(), losses.size());
      for (int i = 0; i < losses.size(); i++) {
        assertEquals(wholeLosses.get(i), losses.get(i), 1e-6, "batch " + batch + ", step " + i);
      }
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> ConceptInversion.start(models, params, REFERENCE).batchSize(0));
  }

  /**
   * The default batch keeps batch x latent tokens within one 512 px micro-step's 64 x 64: the whole
   * window of 4 up to 256 px, fewer above, 1 at 512 px and beyond; never above the accumulation.
   */
  @Test
  void defaultConceptBatchFollowsTheResolution() {
    ConceptInversionParams params = ConceptInversionParams.defaults();
    int[][] expected = {
      {32, 4}, {64, 4}, {256, 4}, {264, 3}, {320, 2}, {384, 1}, {512, 1}, {1024, 1}
    };
    for (int[] row : expected) {
      assertEquals(row[1], params.withResolution(row[0]).defaultBatch(), row[0] + " px");
    }
    ConceptInversionParams two =
        new ConceptInversionParams(
            params.steps(),
            2,
            params.tokens(),
            params.initializerWord(),
            params.placeholder(),
            params.learningRate(),
            params.scaleLearningRate(),
            params.beta1(),
            params.beta2(),
            params.adamEpsilon(),
            params.weightDecay(),
            params.useL1(),
            params.l1Weight(),
            params.flipProbability(),
            256,
            params.seed());
    assertEquals(2, two.defaultBatch(), "capped by an accumulation of 2");
    ConceptInversionParams tiny = TinyVct.conceptParams();
    assertEquals(tiny.defaultBatch(), ConceptInversion.start(models, tiny, REFERENCE).batchSize());
  }

  private static double maxAbsDifference(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @Test
  void sameSeedGivesTheSameEmbeddingAndAnotherSeedAnotherOne() {
    ConceptInversionParams params = TinyVct.conceptParams().withSteps(1);
    ConceptEmbedding a = uninterrupted(params);
    assertEquals(a, uninterrupted(params));
    assertNotEquals(a, uninterrupted(params.withSeed(7)));
  }

  @Test
  void trainingMovesOnlyTheConceptRowsFromTheInitializerWord() {
    ConceptInversionParams params = TinyVct.conceptParams();
    float[] initial = ConceptInversion.initialRows(models, params);
    ConceptEmbedding learned = uninterrupted(params);
    assertEquals(params.tokens(), learned.tokens());
    assertEquals(models.textHidden(), learned.hidden());
    assertFalse(Arrays.equals(initial, learned.rows()), "AdamW steps change the rows");
    // Adam moves each coordinate by at most about lr per step (plus the decay)
    double lr = params.effectiveLearningRate();
    float[] rows = learned.rows();
    for (int i = 0; i < rows.length; i++) {
      assertTrue(Math.abs(rows[i] - initial[i]) <= params.steps() * lr * 1.01 + 1e-4);
    }
  }

  @Test
  void cancellationStopsAfterTheStepInProgress() {
    ConceptInversionParams params = TinyVct.conceptParams();
    ConceptInversion stage = ConceptInversion.start(models, params, REFERENCE);
    Cancellation.Flag flag = Cancellation.flag();
    List<Integer> reported = new ArrayList<>();
    int done =
        stage.run(
            (step, total, loss) -> {
              reported.add(step);
              assertEquals(params.steps(), total);
              assertTrue(Double.isFinite(loss));
              if (step == 1) {
                flag.cancel();
              }
            },
            flag);
    assertEquals(1, done);
    assertEquals(List.of(1), reported);
    assertThrows(IllegalStateException.class, stage::result);
  }

  @Test
  void checkpointRoundTripsThroughBytesAndRejectsOtherParameters() {
    ConceptInversionParams params = TinyVct.conceptParams();
    ConceptInversion stage = ConceptInversion.start(models, params, REFERENCE);
    stage.runUntil(1, ProgressListener.NONE, Cancellation.NEVER);
    StageCheckpoint restored = StageCheckpoint.fromBytes(stage.checkpoint().toBytes());
    assertArrayEquals(stage.rows(), restored.floats("rows"));
    IllegalArgumentException other =
        assertThrows(
            IllegalArgumentException.class,
            () -> ConceptInversion.resume(models, params.withSeed(9), REFERENCE, restored));
    assertTrue(other.getMessage().contains("other parameters"), other.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ConceptInversion.resume(
                models, params, TinyVct.image(TinyVct.RESOLUTION, 5), restored));
  }
}
