package dev.vct.engine.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.tensor.SafeTensorsWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** Model files for scoring tests that need no oracle fixtures, and the fixture folder. */
public final class ScoringTestFiles {

  /** OpenCV's LIVE model files ship inside the JavaCPP OpenCV jar, byte-identical to contrib's. */
  private static final String OPENCV_QUALITY =
      "/org/bytedeco/opencv/linux-x86_64/share/opencv4/quality/";

  private ScoringTestFiles() {}

  /** The oracle fixture folder {@code name}, or a skipped test naming where it was looked for. */
  public static Path fixture(String name) {
    String root = System.getProperty("vct.fixtures.dir", "");
    Path dir = Path.of(root.isEmpty() ? "absent-vct.fixtures.dir" : root).resolve(name);
    Assumptions.assumeTrue(
        Files.isDirectory(dir), "oracle fixtures not found at " + dir.toAbsolutePath());
    return dir;
  }

  /** Writes an LPIPS AlexNet state_dict with random weights (seeded) in the reference layout. */
  public static Path randomLpipsWeights(Path dir, long seed) {
    Path file = dir.resolve("lpips-random.safetensors");
    try (NDManager manager = NDManager.newBaseManager()) {
      manager.getEngine().setRandomSeed((int) seed);
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      tensors.put(
          "scaling_layer.shift",
          manager.create(new float[] {-.030f, -.088f, -.188f}, new Shape(1, 3, 1, 1)));
      tensors.put(
          "scaling_layer.scale",
          manager.create(new float[] {.458f, .448f, .450f}, new Shape(1, 3, 1, 1)));
      conv(manager, tensors, "net.slice1.0", 64, 3, 11);
      conv(manager, tensors, "net.slice2.3", 192, 64, 5);
      conv(manager, tensors, "net.slice3.6", 384, 192, 3);
      conv(manager, tensors, "net.slice4.8", 256, 384, 3);
      conv(manager, tensors, "net.slice5.10", 256, 256, 3);
      long[] channels = {64, 192, 384, 256, 256};
      for (int k = 0; k < channels.length; k++) {
        NDArray lin = manager.randomUniform(0f, 0.2f, new Shape(1, channels[k], 1, 1));
        tensors.put("lin" + k + ".model.1.weight", lin);
        tensors.put("lins." + k + ".model.1.weight", lin);
      }
      SafeTensorsWriter.write(file, tensors);
    }
    return file;
  }

  private static void conv(
      NDManager manager, Map<String, NDArray> tensors, String prefix, long out, long in, long k) {
    float bound = (float) (1 / Math.sqrt(in * k * k));
    tensors.put(prefix + ".weight", manager.randomUniform(-bound, bound, new Shape(out, in, k, k)));
    tensors.put(prefix + ".bias", manager.randomUniform(-bound, bound, new Shape(out)));
  }

  /** Copies OpenCV's brisque_model_live.yml and brisque_range_live.yml into {@code dir}. */
  public static Path[] brisqueModelFiles(Path dir) throws IOException {
    Path model = copyResource(OPENCV_QUALITY + "brisque_model_live.yml", dir);
    Path range = copyResource(OPENCV_QUALITY + "brisque_range_live.yml", dir);
    return new Path[] {model, range};
  }

  private static Path copyResource(String resource, Path dir) throws IOException {
    Path target = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
    try (InputStream in = ScoringTestFiles.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the OpenCV jar");
      }
      Files.copy(in, target);
    }
    return target;
  }
}
