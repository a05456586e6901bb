package dev.vct.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDictTest {

  private static NDManager manager;

  @TempDir Path dir;

  @BeforeAll
  static void startEngine() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void stopEngine() {
    manager.close();
  }

  private Path checkpoint() {
    Path file = dir.resolve("unet.safetensors");
    new SafeTensorsWriter()
        .put("conv_in.weight", new float[2 * 4 * 3 * 3], 2, 4, 3, 3)
        .put("conv_in.bias", new float[] {1, 2}, 2)
        .put("down_blocks.0.norm.weight", new float[] {3, 4}, 2)
        .put("down_blocks.0.norm.bias", new float[] {5, 6}, 2)
        .write(file);
    return file;
  }

  @Test
  void takingEveryKeyByExactNameAndShapeSatisfiesRequireAllUsed() {
    try (StateDict sd = StateDict.open(checkpoint())) {
      sd.take("conv_in.weight", manager, 2, 4, 3, 3);
      assertArrayEquals(new float[] {1, 2}, sd.take("conv_in.bias", manager, 2).toFloatArray());
      StateDict block = sd.withPrefix("down_blocks.").withPrefix("0.");
      assertEquals("down_blocks.0.", block.prefix());
      assertEquals(Set.of("norm.weight", "norm.bias"), block.keys());
      assertArrayEquals(new float[] {3, 4}, block.takeFloats("norm.weight", 2));
      block.take("norm.bias", manager);
      block.requireAllUsed();
      sd.requireAllUsed();
    }
  }

  @Test
  void missingKeyIsReportedWithItsFullNameAndFile() {
    Path file = checkpoint();
    try (StateDict sd = StateDict.open(file)) {
      MissingWeightException e =
          assertThrows(
              MissingWeightException.class,
              () -> sd.withPrefix("down_blocks.0.").take("norm.gamma", manager, 2));
      assertEquals("weight 'down_blocks.0.norm.gamma' is missing from " + file, e.getMessage());
    }
  }

  @Test
  void shapeMismatchIsReportedWithBothShapes() {
    Path file = checkpoint();
    try (StateDict sd = StateDict.open(file)) {
      MissingWeightException e =
          assertThrows(
              MissingWeightException.class, () -> sd.take("conv_in.weight", manager, 2, 4, 1, 1));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "weight 'conv_in.weight' in "
                      + file
                      + " has shape [2, 4, 3, 3] but the model config expects [2, 4, 1, 1]"),
          e.getMessage());
    }
  }

  @Test
  void requireAllUsedNamesEveryUnusedKey() {
    try (StateDict sd = StateDict.open(checkpoint())) {
      sd.take("conv_in.weight", manager);
      UnusedWeightsException e = assertThrows(UnusedWeightsException.class, sd::requireAllUsed);
      assertEquals(
          List.of("conv_in.bias", "down_blocks.0.norm.bias", "down_blocks.0.norm.weight"),
          e.keys());
      assertTrue(e.getMessage().contains("conv_in.bias, down_blocks.0.norm.bias"), e.getMessage());
      // a view only answers for its own keys
      StateDict conv = sd.withPrefix("conv_in.");
      conv.take("bias", manager);
      conv.requireAllUsed();
    }
  }

  @Test
  void shardsAreOneDictionaryAndDuplicateKeysAreRejected() {
    Path a = dir.resolve("a.safetensors");
    Path b = dir.resolve("b.safetensors");
    new SafeTensorsWriter().put("x", new float[] {1}, 1).write(a);
    new SafeTensorsWriter().put("y", new long[] {2}, 1).write(b);
    try (StateDict sd = StateDict.open(a, b)) {
      assertEquals(Set.of("x", "y"), sd.keys());
      assertArrayEquals(new long[] {2}, sd.take("y", manager).toLongArray());
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> StateDict.open(a, a));
    assertTrue(e.getMessage().contains("tensor 'x' is in both"), e.getMessage());
  }
}
