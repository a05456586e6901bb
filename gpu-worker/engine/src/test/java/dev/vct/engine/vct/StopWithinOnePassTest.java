package dev.vct.engine.vct;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vct.engine.nn.AttentionProcessor;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop lands within one UNet pass in every stage, also inside a content-inversion timestep of
 * many inner steps, and the abandoned step is redone on resume so the result stays bit-identical.
 * Passes are counted by a spy around one attention layer (called once per UNet pass); the spy asks
 * to stop while pass N runs, so pass N + 1 must not start.
 */
class StopWithinOnePassTest {

  @TempDir static Path dir;
  private static VctModels models;
  private static String layer;
  private static final float[] SOURCE = TinyVct.image(TinyVct.RESOLUTION, 2);
  private static final float[] REFERENCE = TinyVct.image(TinyVct.RESOLUTION, 1);

  private static final int INNER = 8;

  /** 3 DDIM steps, then 3 timesteps of 1 + 8 + 1 passes (ε_c, inner steps, advance). */
  private static final ContentInversionParams CONTENT = TinyVct.contentParams().withSteps(3, INNER);

  @BeforeAll
  static void load() {
    models = TinyVct.load(dir.resolve("model"));
    layer = models.unet().attentionProcessors().keySet().iterator().next();
  }

  @AfterAll
  static void close() {
    models.close();
  }

  /** Counts UNet passes; asks to stop while pass {@code stopAt} runs (never when 0). */
  private static final class PassSpy implements UnaryOperator<AttentionProcessor> {
    final Cancellation.Flag stop = Cancellation.flag();
    private final int stopAt;
    int passes;

    PassSpy(int stopAt) {
      this.stopAt = stopAt;
    }

    @Override
    public AttentionProcessor apply(AttentionProcessor inner) {
      return call -> {
        if (call.path().equals(layer) && ++passes == stopAt) {
          stop.cancel();
        }
        return inner.attend(call);
      };
    }
  }

  /** Passes of content inversion's first {@code steps} steps (every inner step run). */
  private static int contentPasses(int steps) {
    int n = CONTENT.steps();
    return Math.min(steps, n) + Math.max(0, steps - n) * (INNER + 2);
  }

  @Test
  void contentInversionStopsWithinOnePassAndResumesTheAbandonedTimestepBitForBit() {
    PassSpy all = new PassSpy(0);
    ContentInversion whole = ContentInversion.start(models, CONTENT, SOURCE);
    whole.decorate(all);
    whole.run(ProgressListener.NONE, all.stop);
    assertArrayEquals(new int[] {INNER, INNER, INNER}, whole.innerIterations(), "no early stop");
    assertEquals(contentPasses(6), all.passes);
    byte[] expected = whole.checkpoint().toBytes();

    int[][] cases = {
      {2, 2}, // DDIM inversion
      {contentPasses(3) + 5, 3}, // the 4th inner step of timestep 0
      {contentPasses(4) + 1, 4}, // ε_c of timestep 1
      {contentPasses(5) - 1, 4}, // the last inner step of timestep 1: the advance does not run
      {contentPasses(5), 5} // that advance, the timestep's last pass: the next one does not start
    };
    for (int[] c : cases) {
      int stopAt = c[0];
      int completed = c[1];
      PassSpy spy = new PassSpy(stopAt);
      ContentInversion stopped = ContentInversion.start(models, CONTENT, SOURCE);
      stopped.decorate(spy);
      int done = stopped.run(ProgressListener.NONE, spy.stop);
      assertEquals(stopAt, spy.passes, "stop asked during pass " + stopAt + ": no pass after it");
      assertEquals(completed, done, "stopped during pass " + stopAt);

      ContentInversion reference = ContentInversion.start(models, CONTENT, SOURCE);
      reference.runUntil(completed, ProgressListener.NONE, Cancellation.NEVER);
      byte[] saved = stopped.checkpoint().toBytes();
      assertArrayEquals(
          reference.checkpoint().toBytes(),
          saved,
          "the checkpoint after a stop in pass " + stopAt + " holds no part of the open step");

      PassSpy again = new PassSpy(0);
      ContentInversion resumed =
          ContentInversion.resume(
              models,
              CONTENT,
              StageCheckpoint.fromBytes(saved),
              ContentInversion.sourceHash(SOURCE));
      resumed.decorate(again);
      resumed.run(ProgressListener.NONE, again.stop);
      assertEquals(
          contentPasses(6) - contentPasses(completed),
          again.passes,
          "the resumed run redoes the abandoned step whole");
      assertEquals(whole.result(), resumed.result(), "resumed after a stop in pass " + stopAt);
      assertArrayEquals(whole.innerLosses(), resumed.innerLosses());
      assertArrayEquals(expected, resumed.checkpoint().toBytes());
    }
  }

  /**
   * An optimizer step is one UNet pass of its micro-steps batched, or one pass per chunk when the
   * concept batch is smaller than the accumulation (4 here: chunks of 2, and of 3 then 1).
   */
  @Test
  void conceptInversionStopsWithinOnePassAndResumesBitForBit() {
    ConceptInversionParams params = TinyVct.conceptParams(); // 3 steps of 4 micro-steps
    for (int batch : new int[] {params.gradientAccumulation(), 2, 3}) {
      int perStep = (params.gradientAccumulation() + batch - 1) / batch;
      PassSpy all = new PassSpy(0);
      ConceptInversion whole = ConceptInversion.start(models, params, REFERENCE).batchSize(batch);
      whole.decorate(all);
      whole.run(ProgressListener.NONE, all.stop);
      assertEquals(params.steps() * perStep, all.passes, "batch " + batch);
      byte[] expected = whole.checkpoint().toBytes();

      // pass 1: step 1's first pass; perStep + 1: step 2's first; 2 * perStep: the end of step 2
      for (int stopAt : new int[] {1, perStep + 1, 2 * perStep}) {
        String where = "batch " + batch + ", stop asked during pass " + stopAt;
        int completed = stopAt / perStep;
        PassSpy spy = new PassSpy(stopAt);
        ConceptInversion stopped =
            ConceptInversion.start(models, params, REFERENCE).batchSize(batch);
        stopped.decorate(spy);
        int done = stopped.run(ProgressListener.NONE, spy.stop);
        assertEquals(stopAt, spy.passes, where + ": no pass after it");
        assertEquals(completed, done, where);

        ConceptInversion reference =
            ConceptInversion.start(models, params, REFERENCE).batchSize(batch);
        reference.runUntil(completed, ProgressListener.NONE, Cancellation.NEVER);
        byte[] saved = stopped.checkpoint().toBytes();
        assertArrayEquals(
            reference.checkpoint().toBytes(),
            saved,
            where + ": rows, Adam and the generator are those of step " + completed);

        PassSpy again = new PassSpy(0);
        ConceptInversion resumed =
            ConceptInversion.resume(models, params, REFERENCE, StageCheckpoint.fromBytes(saved))
                .batchSize(batch);
        resumed.decorate(again);
        resumed.run(ProgressListener.NONE, again.stop);
        assertEquals(
            (params.steps() - completed) * perStep,
            again.passes,
            where + ": the resumed run redoes the abandoned step whole");
        assertEquals(whole.result(), resumed.result(), where);
        assertArrayEquals(expected, resumed.checkpoint().toBytes(), where);
      }
    }
  }

  @Test
  void fusionStopsWithinOnePassAndResumesBitForBit() {
    ContentInversion inversion =
        ContentInversion.start(models, TinyVct.contentParams().withSteps(4, 1), SOURCE);
    inversion.run(ProgressListener.NONE, Cancellation.NEVER);
    ContentEmbedding content = inversion.result();
    ConceptInversion learning =
        ConceptInversion.start(models, TinyVct.conceptParams().withSteps(1), REFERENCE);
    learning.run(ProgressListener.NONE, Cancellation.NEVER);
    ConceptEmbedding concept = learning.result();
    FusionParams params = FusionParams.defaults();

    Fusion whole = Fusion.start(models, params, content, concept);
    whole.run(ProgressListener.NONE, Cancellation.NEVER);
    for (int stopAt : new int[] {1, 2}) {
      PassSpy spy = new PassSpy(stopAt);
      Fusion stopped = Fusion.start(models, params, content, concept);
      stopped.decorate(spy);
      int done = stopped.run(ProgressListener.NONE, spy.stop);
      assertEquals(stopAt, spy.passes, "stop asked during pass " + stopAt + ": no pass after it");
      assertEquals(stopAt, done);
      Fusion resumed =
          Fusion.resume(
              models,
              params,
              content,
              concept,
              StageCheckpoint.fromBytes(stopped.checkpoint().toBytes()));
      resumed.run(ProgressListener.NONE, Cancellation.NEVER);
      assertEquals(whole.result(), resumed.result(), "resumed after a stop in pass " + stopAt);
    }
  }

  @Test
  void aStopBeforeTheFirstPassRunsNothing() {
    Cancellation.Flag stop = Cancellation.flag();
    stop.cancel();
    PassSpy spy = new PassSpy(0);
    ContentInversion stage = ContentInversion.start(models, CONTENT, SOURCE);
    stage.decorate(spy);
    assertEquals(0, stage.run(ProgressListener.NONE, stop));
    assertEquals(0, spy.passes);
  }
}
