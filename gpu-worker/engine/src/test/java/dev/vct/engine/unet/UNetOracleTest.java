package dev.vct.engine.unet;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vct.engine.tensor.SafeTensors;
import dev.vct.engine.tensor.StateDict;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UNetOracleTest {

  static Path fixture(String name) {
    String dir = System.getProperty("vct.fixtures.dir");
    Path path = dir == null ? null : Path.of(dir, name);
    assumeTrue(path != null && Files.isDirectory(path), "oracle fixtures absent: " + path);
    return path;
  }

  @ParameterizedTest
  @ValueSource(strings = {"unet", "unet_sd"})
  void forwardMatchesDiffusers(String name) {
    Path dir = fixture(name);
    try (NDManager m = NDManager.newBaseManager();
        StateDict sd = StateDict.open(dir.resolve("weights.safetensors"));
        SafeTensors io = SafeTensors.open(dir.resolve("io.safetensors"));
        UNet2DConditionModel unet =
            UNet2DConditionModel.create(UNetConfig.read(dir.resolve("config.json")), sd, m)) {
      NDArray out =
          unet.forward(
              io.load("in.sample", m),
              io.load("in.timestep", m).get(0),
              io.load("in.encoder_hidden_states", m));
      NDArray expected = io.load("out.sample", m);
      float maxAbs = out.sub(expected).abs().max().getFloat();
      System.out.println(name + " max_abs=" + maxAbs);
      assertTrue(out.allClose(expected, 1e-4, 1e-4, false), name + " max_abs=" + maxAbs);
    }
  }
}
