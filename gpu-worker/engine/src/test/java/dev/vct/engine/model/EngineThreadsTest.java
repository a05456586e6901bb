package dev.vct.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import dev.vct.engine.unet.UNet2DConditionModel;
import dev.vct.engine.unet.UNetConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineThreadsTest {

  private static long weights(Sd1Architecture arch) {
    return UNet2DConditionModel.expectedWeightShapes(UNetConfig.fromJson(arch.unetConfig()))
        .values()
        .stream()
        .mapToLong(Shape::size)
        .sum();
  }

  private static final long TINY = weights(Sd1Architecture.TINY);
  private static final long SD15 = weights(Sd1Architecture.SD15);

  private static int threads(EngineThreads.Workload w, Map<String, String> env, int processors) {
    return EngineThreads.choose(w, env, processors).threads();
  }

  @Test
  void theArchitecturesHaveTheirKnownSizes() {
    assertEquals(859_520_964L, SD15); // SD-1.5's UNet
    assertTrue(TINY < 2_000_000, "tiny UNet: " + TINY);
  }

  @Test
  void theTinyModelRunsOnOneThreadAtEveryResolutionAndBatchTheStagesUse() {
    for (int latentSide : new int[] {8, 32, 64, 128}) { // 64 px .. 1024 px images
      for (int batch : new int[] {1, 2, 4}) {
        EngineThreads.Workload w =
            new EngineThreads.Workload(TINY, (long) latentSide * latentSide, batch);
        assertEquals(1, threads(w, Map.of(), 16), latentSide + " x " + batch);
      }
    }
  }

  @Test
  void stableDiffusionSizedWorkUsesEveryCore() {
    // 64 px images (8 x 8 latents) at batch 1 are the smallest SD-1.5 call: still every core
    EngineThreads.Workload small = new EngineThreads.Workload(SD15, 64, 1);
    assertEquals(2, threads(small, Map.of(), 2));
    assertEquals(16, threads(new EngineThreads.Workload(SD15, 4096, 4), Map.of(), 16));
    assertEquals(
        3,
        threads(small, Map.of(EngineThreads.CORES_ENV, "3"), 16),
        "the pod's cores, not the node's");
    assertEquals(2, threads(small, Map.of(EngineThreads.ENV, "auto"), 2));
    assertEquals(2, threads(small, Map.of(EngineThreads.ENV, " AUTO "), 2));
  }

  @Test
  void theThresholdSitsAtParallelWork() {
    long pixels = 1000;
    long below = (long) (EngineThreads.PARALLEL_WORK / pixels) - 1;
    long at = (long) (EngineThreads.PARALLEL_WORK / pixels);
    assertEquals(1, threads(new EngineThreads.Workload(below, pixels, 1), Map.of(), 8));
    assertEquals(8, threads(new EngineThreads.Workload(at, pixels, 1), Map.of(), 8));
  }

  @Test
  void aThreadCountOverridesTheRuleBothWays() {
    EngineThreads.Workload tiny = new EngineThreads.Workload(TINY, 64, 1);
    EngineThreads.Workload large = new EngineThreads.Workload(SD15, 4096, 1);
    assertEquals(2, threads(tiny, Map.of(EngineThreads.ENV, "2"), 16));
    assertEquals(
        1, threads(large, Map.of(EngineThreads.ENV, "1", EngineThreads.CORES_ENV, "8"), 16));
    EngineThreads.Choice choice = EngineThreads.choose(tiny, Map.of(EngineThreads.ENV, "2"), 16);
    assertEquals("VCT_ENGINE_THREADS=2", choice.reason());
  }

  @Test
  void badSettingsAreRefusedSayingWhatToSet() {
    EngineThreads.Workload tiny = new EngineThreads.Workload(TINY, 64, 1);
    for (String bad : new String[] {"0", "-1", "two", "1.5"}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> EngineThreads.choose(tiny, Map.of(EngineThreads.ENV, bad), 2));
      assertTrue(e.getMessage().contains("VCT_ENGINE_THREADS=" + bad), e.getMessage());
      assertTrue(e.getMessage().contains("or auto"), e.getMessage());
    }
    IllegalArgumentException cores =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                EngineThreads.choose(
                    new EngineThreads.Workload(SD15, 64, 1),
                    Map.of(EngineThreads.CORES_ENV, "all"),
                    2));
    assertTrue(cores.getMessage().startsWith("VCT_ENGINE_CORES=all"), cores.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new EngineThreads.Workload(0, 64, 1));
  }

  @Test
  void loadingAModelAppliesTheRuleToLibtorchOncePerProcess(@TempDir Path dir) {
    new TinyModelWriter(5, TinyModelWriter.WeightDtype.FP32).write(dir);
    StableDiffusionModel.load(dir, ai.djl.Device.cpu()).close();
    EngineThreads.Choice choice = EngineThreads.current().orElseThrow();
    if (System.getenv(EngineThreads.ENV) == null) {
      assertEquals(1, choice.threads(), choice.reason());
    }
    assertEquals(choice.threads(), EngineThreads.inUse());
    // the first choice stays: libtorch threads that already computed keep their count
    assertEquals(choice, EngineThreads.configure(new EngineThreads.Workload(SD15, 4096, 4)));
  }
}
