package dev.vct.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.types.Shape;
import dev.vct.engine.unet.UNet2DConditionModel;
import dev.vct.engine.unet.UNetConfig;
import dev.vct.engine.vae.AutoencoderKL;
import dev.vct.engine.vae.VaeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The real SD-1.5 {@code unet/} and {@code vae/} configs (test resources {@code sd15/}) give
 * exactly the checkpoint layout SD-1.5 publishes ({@code sd15/expected-weights.txt}), computed from
 * the configs alone, without allocating the 3.4 GB of weights.
 */
class StableDiffusion15WeightTableTest {

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(StableDiffusion15WeightTableTest.class.getResource("/sd15/" + name).toURI());
  }

  private static List<String> expectedLines() throws IOException {
    try (InputStream in =
        StableDiffusion15WeightTableTest.class.getResourceAsStream("/sd15/expected-weights.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .filter(l -> !l.isBlank() && !l.startsWith("#"))
          .toList();
    }
  }

  private static long parameters(Map<String, Shape> shapes) {
    return shapes.values().stream().mapToLong(Shape::size).sum();
  }

  @Test
  void modelsBuiltFromTheSd15ConfigsExpectTheSd15Checkpoints() throws Exception {
    Map<String, Map<String, Shape>> expected =
        Map.of(
            "unet",
            UNet2DConditionModel.expectedWeightShapes(
                UNetConfig.read(resource("unet/config.json"))),
            "vae",
            AutoencoderKL.expectedWeightShapes(VaeConfig.read(resource("vae/config.json"))));
    Map<String, Long> counts = new HashMap<>();
    int shapesChecked = 0;
    for (String line : expectedLines()) {
      String[] fields = line.split(" ");
      if (fields.length == 2) {
        counts.put(fields[0], Long.parseLong(fields[1]));
        continue;
      }
      long[] dims = Arrays.stream(fields[2].split(",")).mapToLong(Long::parseLong).toArray();
      assertEquals(
          new Shape(dims), expected.get(fields[0]).get(fields[1]), fields[0] + " " + fields[1]);
      shapesChecked++;
    }
    assertEquals(52, shapesChecked);
    for (String model : List.of("unet", "vae")) {
      assertEquals(
          counts.get(model + ".tensors"), (long) expected.get(model).size(), model + " tensors");
      assertEquals(
          counts.get(model + ".parameters"),
          parameters(expected.get(model)),
          model + " parameters");
    }
  }
}
