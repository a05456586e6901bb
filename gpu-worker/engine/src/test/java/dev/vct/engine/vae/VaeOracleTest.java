package dev.vct.engine.vae;

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

class VaeOracleTest {

  static Path fixture(String name) {
    String dir = System.getProperty("vct.fixtures.dir");
    Path path = dir == null ? null : Path.of(dir, name);
    assumeTrue(path != null && Files.isDirectory(path), "oracle fixtures absent: " + path);
    return path;
  }

  private static void close(String what, NDArray actual, NDArray expected) {
    float maxAbs = actual.sub(expected).abs().max().getFloat();
    System.out.println(what + " max_abs=" + maxAbs);
    assertTrue(actual.allClose(expected, 1e-4, 1e-4, false), what + " max_abs=" + maxAbs);
  }

  @ParameterizedTest
  @ValueSource(strings = {"vae", "vae_sd"})
  void encodeAndDecodeMatchDiffusers(String name) {
    Path dir = fixture(name);
    try (NDManager m = NDManager.newBaseManager();
        StateDict sd = StateDict.open(dir.resolve("weights.safetensors"));
        SafeTensors io = SafeTensors.open(dir.resolve("io.safetensors"));
        AutoencoderKL vae =
            AutoencoderKL.create(VaeConfig.read(dir.resolve("config.json")), sd, m)) {
      LatentDistribution latent = vae.encode(io.load("in.image", m));
      close(name + " mean", latent.mean(), io.load("out.latent_mean", m));
      close(name + " logvar", latent.logvar(), io.load("out.latent_logvar", m));
      close(name + " std", latent.std(), io.load("out.latent_std", m));
      close(
          name + " decoded", vae.decode(io.load("out.latent_mean", m)), io.load("out.decoded", m));
    }
  }
}
