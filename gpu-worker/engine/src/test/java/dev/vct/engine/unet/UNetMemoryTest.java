package dev.vct.engine.unet;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many optimisation steps through the UNet (forward, backward, update of the encoder hidden states,
 * as content inversion does) with a manager per step: native memory must stay flat.
 */
class UNetMemoryTest {

  /** Resident set size of this process in KiB, from /proc/self/status. */
  private static long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D+", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  @Test
  void twoHundredForwardBackwardStepsKeepMemoryFlat(@TempDir Path tmp) throws Exception {
    try (NDManager base = NDManager.newBaseManager();
        UNet2DConditionModel unet =
            UNet2DConditionModel.load(TinyUNets.write(tmp, TinyUNets.CONFIG, 7), base)) {
      base.getEngine().setRandomSeed(3);
      NDArray latents = base.randomNormal(new Shape(2, 4, 8, 8));
      NDArray embedding = base.randomNormal(new Shape(2, 7, 16)); // the optimised tensor
      embedding.setRequiresGradient(true);
      NDArray learningRate = base.full(new Shape(), 1e-3f);
      long warm = 0;
      for (int step = 0; step < 200; step++) {
        try (NDManager scope = base.newSubManager()) {
          // While the step runs, the carried tensor's gradient and update belong to the scope.
          scope.tempAttachAll(embedding);
          NDArray noise = scope.randomNormal(latents.getShape());
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray predicted =
                unet.forward(noise.add(latents), scope.create((long) step), embedding);
            gc.backward(predicted.sub(noise).square().mean());
          }
          embedding.subi(embedding.getGradient().mul(learningRate));
        }
        if (step == 49) {
          System.gc();
          warm = rssKib();
        }
      }
      System.gc();
      long grown = rssKib() - warm;
      System.out.println(
          "UNetMemoryTest: RSS after 50 steps "
              + warm
              + " KiB, growth over the next 150: "
              + grown
              + " KiB");
      assertTrue(grown < 32 * 1024, "RSS grew by " + grown + " KiB over 150 steps");
    }
  }
}
