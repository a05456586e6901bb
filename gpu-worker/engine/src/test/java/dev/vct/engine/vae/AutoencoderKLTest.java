package dev.vct.engine.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.nn.ComponentFiles;
import dev.vct.engine.nn.DiffusersConfigs;
import dev.vct.engine.tensor.SafeTensors;
import dev.vct.engine.tensor.SafeTensorsWriter;
import dev.vct.engine.unet.UNet2DConditionModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutoencoderKLTest {

  private static Path fixture(String name) {
    String dir = System.getProperty("vct.fixtures.dir");
    Path path = dir == null ? null : Path.of(dir, name);
    assumeTrue(path != null && Files.isDirectory(path), "oracle fixtures absent: " + path);
    return path;
  }

  /** diffusers >= 0.14 name of the mid-block attention tensors to the original SD-1.5 name. */
  private static String legacyName(String key) {
    return key.replace(".to_q.", ".query.")
        .replace(".to_k.", ".key.")
        .replace(".to_v.", ".value.")
        .replace(".to_out.0.", ".proj_attn.");
  }

  @Test
  void legacyAttentionKeysLoadIntoTheSameLayers(@TempDir Path tmp) throws Exception {
    Path fixture = fixture("vae_sd");
    Files.copy(fixture.resolve("config.json"), tmp.resolve(ComponentFiles.CONFIG));
    try (NDManager m = NDManager.newBaseManager();
        SafeTensors weights = SafeTensors.open(fixture.resolve("weights.safetensors"));
        SafeTensors io = SafeTensors.open(fixture.resolve("io.safetensors"))) {
      Map<String, NDArray> renamed = new LinkedHashMap<>();
      for (String key : weights.names()) {
        renamed.put(legacyName(key), weights.load(key, m));
      }
      assertTrue(renamed.containsKey("encoder.mid_block.attentions.0.proj_attn.weight"));
      SafeTensorsWriter.write(tmp.resolve(ComponentFiles.WEIGHTS), renamed);

      try (AutoencoderKL vae = AutoencoderKL.load(tmp, m)) {
        LatentDistribution latent = vae.encode(io.load("in.image", m));
        assertTrue(latent.mean().allClose(io.load("out.latent_mean", m), 1e-4, 1e-4, false));
        NDArray decoded = vae.decode(io.load("out.latent_mean", m));
        assertTrue(decoded.allClose(io.load("out.decoded", m), 1e-4, 1e-4, false));
      }
    }
  }

  @Test
  void theVctModelFoldersLoadWithTheirDiffusers010ConfigsAndKeys() {
    Path model = fixture("vct_model");
    try (NDManager m = NDManager.newBaseManager();
        AutoencoderKL vae = AutoencoderKL.load(model.resolve("vae"), m);
        UNet2DConditionModel unet = UNet2DConditionModel.load(model.resolve("unet"), m)) {
      LatentDistribution latent = vae.encode(m.randomUniform(-1, 1, new Shape(1, 3, 64, 64)));
      assertEquals(new Shape(1, 4, 8, 8), latent.mean().getShape());
      NDArray eps = unet.forward(latent.mean(), m.create(1L), m.randomNormal(new Shape(1, 77, 32)));
      assertEquals(new Shape(1, 4, 8, 8), eps.getShape());
      assertEquals(new Shape(1, 3, 64, 64), vae.decode(eps).getShape());
      assertEquals(0.18215, vae.config().scalingFactor(), 0.0);
    }
  }

  @Test
  void aSampleIsTheMeanPlusStdTimesTheNoise() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray mean = m.create(new float[] {1, 2});
      NDArray logvar = m.create(new float[] {0, 2});
      LatentDistribution d = new LatentDistribution(mean, logvar, logvar.mul(0.5f).exp());
      float[] sample = d.sample(m.create(new float[] {0.5f, -1})).toFloatArray();
      assertEquals(1.5f, sample[0], 1e-6f);
      assertEquals(2 - (float) Math.E, sample[1], 1e-6f);
      assertThrows(IllegalArgumentException.class, () -> d.sample(m.zeros(new Shape(3))));
    }
  }

  @Test
  void unsupportedVaeConfigsNameTheOffendingKeys() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                VaeConfig.fromJson(
                    DiffusersConfigs.readTree(
                        "{\"block_out_channels\": [32, 48], \"norm_num_groups\": 32,"
                            + " \"use_quant_conv\": false}")));
    assertTrue(e.getMessage().contains("use_quant_conv=false"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                VaeConfig.fromJson(
                    DiffusersConfigs.readTree(
                        "{\"block_out_channels\": [32, 48], \"norm_num_groups\": 32}")));
    assertTrue(
        e.getMessage()
            .contains("block_out_channels[1]=48 is not a positive multiple of norm_num_groups=32"),
        e.getMessage());
  }
}
