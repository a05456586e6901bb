package dev.vct.engine.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.tensor.MissingWeightException;
import dev.vct.engine.tensor.SafeTensors;
import dev.vct.engine.tensor.SafeTensorsWriter;
import dev.vct.engine.tensor.UnusedWeightsException;
import dev.vct.inputs.image.RgbImage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LpipsTest {

  @TempDir Path tmp;

  @Test
  void matchesTheReferenceLpipsOnEveryFixturePair() {
    Path fixture = ScoringTestFiles.fixture("lpips");
    try (Lpips lpips = Lpips.load(fixture.resolve("weights.safetensors"));
        SafeTensors io = SafeTensors.open(fixture.resolve("io.safetensors"));
        NDManager manager = NDManager.newBaseManager()) {
      for (int i = 0; i < 4; i++) {
        LpipsDistance d =
            lpips.distance(io.load("in.img0_" + i, manager), io.load("in.img1_" + i, manager));
        float[] expectedLayers = io.floats("out.per_layer_" + i);
        for (int k = 0; k < 5; k++) {
          assertClose(expectedLayers[k], d.perLayer()[k], "pair " + i + " layer " + k);
        }
        assertClose(io.floats("out.distance_" + i)[0], d.distance(), "pair " + i);
      }
    }
  }

  @Test
  void aPictureHasDistanceZeroToItselfAndTheDistanceIsSymmetric() {
    try (Lpips lpips = Lpips.load(ScoringTestFiles.randomLpipsWeights(tmp, 3))) {
      RgbImage a = randomImage(48, 40, 1);
      RgbImage b = randomImage(48, 40, 2);
      assertEquals(0f, lpips.distance(a, a).distance());
      float ab = lpips.distance(a, b).distance();
      assertTrue(ab > 0, "distinct pictures are apart: " + ab);
      assertEquals(ab, lpips.distance(b, a).distance(), 1e-6f);
    }
  }

  @Test
  void theSumOfPerLayerTermsIsTheDistance() {
    try (Lpips lpips = Lpips.load(ScoringTestFiles.randomLpipsWeights(tmp, 4))) {
      LpipsDistance d = lpips.distance(randomImage(64, 64, 5), randomImage(64, 64, 6));
      float sum = 0;
      for (float layer : d.perLayer()) {
        sum += layer;
      }
      assertEquals(sum, d.distance(), 0f);
    }
  }

  @Test
  void callsLeaveNoArraysBehind() {
    try (Lpips lpips = Lpips.load(ScoringTestFiles.randomLpipsWeights(tmp, 5));
        NDManager manager = NDManager.newBaseManager()) {
      NDArray a = manager.randomUniform(-1f, 1f, new Shape(1, 3, 40, 40));
      NDArray b = manager.randomUniform(-1f, 1f, new Shape(1, 3, 40, 40));
      lpips.distance(a, b);
      long before = manager.getManagedArrays().size();
      for (int i = 0; i < 5; i++) {
        lpips.distance(a, b);
      }
      assertEquals(before, manager.getManagedArrays().size());
      assertTrue(a.isReleased() == false && b.isReleased() == false, "inputs stay usable");
    }
  }

  @Test
  void refusesPicturesOfDifferentSizesOrBelowAlexNetsMinimum() {
    try (Lpips lpips = Lpips.load(ScoringTestFiles.randomLpipsWeights(tmp, 6))) {
      IllegalArgumentException sizes =
          assertThrows(
              IllegalArgumentException.class,
              () -> lpips.distance(randomImage(64, 64, 1), randomImage(64, 48, 1)));
      assertTrue(sizes.getMessage().contains("64x64 and 64x48"), sizes.getMessage());
      IllegalArgumentException small =
          assertThrows(
              IllegalArgumentException.class,
              () -> lpips.distance(randomImage(30, 64, 1), randomImage(30, 64, 2)));
      assertTrue(small.getMessage().contains("at least 31x31"), small.getMessage());
      lpips.distance(randomImage(31, 31, 1), randomImage(31, 31, 2));
    }
  }

  @Test
  void aWeightsFileWithAForeignOrMissingTensorIsRefusedByName() {
    Path good = ScoringTestFiles.randomLpipsWeights(tmp, 7);
    Path extra = tmp.resolve("extra.safetensors");
    Path missing = tmp.resolve("missing.safetensors");
    try (SafeTensors source = SafeTensors.open(good);
        NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> all = new LinkedHashMap<>();
      for (String name : source.names()) {
        all.put(name, source.load(name, manager));
      }
      all.put("net.slice6.12.weight", manager.zeros(new Shape(2)));
      SafeTensorsWriter.write(extra, all);
      all.remove("net.slice6.12.weight");
      all.remove("lin3.model.1.weight");
      SafeTensorsWriter.write(missing, all);
    }
    UnusedWeightsException unused =
        assertThrows(UnusedWeightsException.class, () -> Lpips.load(extra));
    assertTrue(unused.getMessage().contains("net.slice6.12.weight"), unused.getMessage());
    MissingWeightException absent =
        assertThrows(MissingWeightException.class, () -> Lpips.load(missing));
    assertTrue(absent.getMessage().contains("lin3.model.1.weight"), absent.getMessage());
    ModelFileException nofile =
        assertThrows(ModelFileException.class, () -> Lpips.load(tmp.resolve("nope.safetensors")));
    assertTrue(nofile.getMessage().contains("nope.safetensors"), nofile.getMessage());
  }

  private static void assertClose(float expected, float actual, String what) {
    // fixture tolerance: atol 1e-5, rtol 1e-4
    assertEquals(expected, actual, 1e-5 + 1e-4 * Math.abs(expected), what);
  }

  static RgbImage randomImage(int width, int height, long seed) {
    byte[] rgb = new byte[3 * width * height];
    new Random(seed).nextBytes(rgb);
    return new RgbImage(width, height, rgb);
  }
}
