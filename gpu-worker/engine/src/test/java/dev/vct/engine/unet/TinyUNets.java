package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.nn.ComponentFiles;
import dev.vct.engine.nn.DiffusersConfigs;
import dev.vct.engine.tensor.SafeTensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Tiny random-weight UNet folders in diffusers layout, for tests that need no fixtures. */
final class TinyUNets {
  /** Two levels, one layer each, 2 heads, 16-wide context: the topology of SD-1.x in small. */
  static final String CONFIG =
      """
      {
        "block_out_channels": [32, 64],
        "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
        "layers_per_block": 1,
        "attention_head_dim": 2,
        "cross_attention_dim": 16,
        "norm_num_groups": 8
      }
      """;

  private TinyUNets() {}

  /** Writes {@code config.json} and random weights for {@code configJson} into {@code dir}. */
  static Path write(Path dir, String configJson, long seed) throws IOException {
    return write(dir, configJson, seed, UnaryOperator.identity());
  }

  /** Like {@link #write(Path, String, long)}, letting {@code edit} change the weight map. */
  static Path write(
      Path dir, String configJson, long seed, UnaryOperator<Map<String, NDArray>> edit)
      throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(ComponentFiles.CONFIG), configJson);
    UNetConfig config = UNetConfig.fromJson(DiffusersConfigs.readTree(configJson));
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed((int) seed);
      Map<String, NDArray> weights = new LinkedHashMap<>();
      UNet2DConditionModel.expectedWeightShapes(config).entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(e -> weights.put(e.getKey(), random(m, e.getKey(), e.getValue())));
      SafeTensorsWriter.write(dir.resolve(ComponentFiles.WEIGHTS), edit.apply(weights));
    }
    return dir;
  }

  /** Norm scales near 1, biases small, matrices scaled by 1/sqrt(fan-in). */
  static NDArray random(NDManager m, String key, Shape shape) {
    NDArray noise = m.randomNormal(shape);
    if (shape.dimension() == 1) {
      return key.contains("norm") && key.endsWith(".weight")
          ? noise.mul(0.1f).add(1f)
          : noise.mul(0.1f);
    }
    return noise.mul((float) (1 / Math.sqrt(shape.size() / shape.get(0))));
  }
}
