package dev.vct.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.types.Shape;
import dev.vct.engine.unet.UNet2DConditionModel;
import dev.vct.engine.unet.UNetConfig;
import dev.vct.engine.vae.AutoencoderKL;
import dev.vct.engine.vae.VaeConfig;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class Sd1ArchitectureTest {

  @Test
  void layoutsAgreeWithTheKeysTheNetworksAskForAtBothSizes() {
    for (Sd1Architecture arch : List.of(Sd1Architecture.TINY, Sd1Architecture.SD15)) {
      assertEquals(
          asStrings(
              UNet2DConditionModel.expectedWeightShapes(UNetConfig.fromJson(arch.unetConfig()))),
          asStrings(arch.unetLayout()),
          "unet " + arch.unetChannels());
      assertEquals(
          asStrings(AutoencoderKL.expectedWeightShapes(VaeConfig.fromJson(arch.vaeConfig()))),
          asStrings(arch.vaeLayout()),
          "vae " + arch.vaeChannels());
    }
  }

  @Test
  void sd15LayoutHasTheKnownParameterCounts() {
    // published sizes: UNet 859.5M, VAE 83.7M, CLIP ViT-L/14 text encoder 123.1M parameters
    assertEquals(859_520_964L, count(Sd1Architecture.SD15.unetLayout()));
    assertEquals(83_653_863L, count(Sd1Architecture.SD15.vaeLayout()));
    assertEquals(123_060_480L, count(Sd1Architecture.SD15.textEncoderLayout()));
  }

  @Test
  void widthsThatDoNotDivideAreRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new Sd1Architecture(
                    List.of(20, 20, 40, 40),
                    8,
                    List.of(16, 16, 32, 32),
                    8,
                    2,
                    32,
                    3,
                    4,
                    64,
                    1000,
                    8));
    assertEquals("UNet channels 20 not divisible by groups 8 and heads 8", e.getMessage());
  }

  private static long count(CheckpointLayout layout) {
    long n = 0;
    for (long[] shape : layout.shapes().values()) {
      long p = 1;
      for (long d : shape) {
        p *= d;
      }
      n += p;
    }
    return n;
  }

  private static Map<String, String> asStrings(CheckpointLayout layout) {
    Map<String, String> out = new TreeMap<>();
    layout.shapes().forEach((k, v) -> out.put(k, new Shape(v).toString()));
    return out;
  }

  private static Map<String, String> asStrings(Map<String, Shape> shapes) {
    Map<String, String> out = new TreeMap<>();
    shapes.forEach((k, v) -> out.put(k, v.toString()));
    return out;
  }
}
