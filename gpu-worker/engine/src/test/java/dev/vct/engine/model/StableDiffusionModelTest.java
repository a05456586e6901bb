package dev.vct.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.model.TinyModelWriter.WeightDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StableDiffusionModelTest {

  @TempDir Path dir;

  @Test
  void initTinyModelLoadsThroughTheRealComponentsInEveryStorageType() {
    float[] reference = null;
    for (WeightDtype dtype : WeightDtype.values()) {
      Path model = dir.resolve(dtype.name());
      new TinyModelWriter(11, dtype).write(model);
      try (StableDiffusionModel sd = StableDiffusionModel.load(model, Device.cpu());
          NDManager m = sd.manager().newSubManager()) {
        assertEquals(Device.cpu(), sd.device());
        assertEquals(1, sd.schedulerConfig().stepsOffset());
        NDArray ids = m.create(sd.tokenizer().encode("a photo of a cat").ids(), new Shape(1, 77));
        NDArray context = sd.textEncoder().forward(ids).lastHiddenState();
        assertEquals(new Shape(1, 77, 32), context.getShape());
        NDArray latents = m.ones(new Shape(1, 4, 8, 8)).mul(0.1f);
        NDArray eps = sd.unet().forward(latents, m.create(new long[] {501}), context);
        assertEquals(new Shape(1, 4, 8, 8), eps.getShape());
        NDArray image = sd.vae().decode(eps);
        assertEquals(new Shape(1, 3, 64, 64), image.getShape());
        float[] values = eps.toFloatArray();
        if (reference == null) {
          reference = values;
        } else {
          // fp16 / bf16 storage only rounds the same seeded weights
          for (int i = 0; i < values.length; i++) {
            assertEquals(
                reference[i], values[i], 0.05 + 0.05 * Math.abs(reference[i]), dtype + " " + i);
          }
        }
      }
    }
  }

  @Test
  void oracleModelFolderLoads() {
    String root = System.getProperty("vct.fixtures.dir", "");
    Path model = Path.of(root.isEmpty() ? "vct.fixtures.dir-not-set" : root, "vct_model");
    Assumptions.assumeTrue(
        Files.isDirectory(model), "oracle fixtures not found at " + model.toAbsolutePath());
    try (StableDiffusionModel sd = StableDiffusionModel.load(model, Device.cpu())) {
      assertArrayEquals(
          new Object[] {16, 16, 32, 32}, sd.unet().config().blockOutChannels().toArray());
      assertEquals(0.18215, sd.vae().config().scalingFactor(), 1e-9);
    }
  }

  @Test
  void incompleteFoldersAreRejectedNamingWhatIsMissing() throws IOException {
    new TinyModelWriter(1, WeightDtype.FP32).write(dir);
    deleteTree(dir.resolve("vae"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> StableDiffusionModel.load(dir, Device.cpu()));
    assertTrue(e.getMessage().contains("no vae/ folder"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> StableDiffusionModel.load(dir.resolve("absent"), Device.cpu()));
  }

  @Test
  void devicesAreParsedAndCudaIsNeverAssumed() {
    assertEquals(Device.cpu(), ComputeDevice.parse("cpu"));
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> ComputeDevice.parse("tpu"));
    assertTrue(unknown.getMessage().contains("use cpu, cuda or cuda:N"), unknown.getMessage());
    if (Engine.getEngine("PyTorch").hasCapability(StandardCapabilities.CUDA)) {
      assertEquals(Device.gpu(0), ComputeDevice.parse("cuda"));
    } else {
      IllegalStateException noCuda =
          assertThrows(IllegalStateException.class, () -> ComputeDevice.parse("cuda:0"));
      assertTrue(noCuda.getMessage().contains("has no CUDA"), noCuda.getMessage());
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
