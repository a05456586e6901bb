package dev.vct.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The scoring stage's model files for a machine that has none: BRISQUE's LIVE model, taken from the
 * OpenCV jar the worker ships with (byte-identical to opencv_contrib's), and LPIPS weights with
 * random values in the reference layout, so the stage runs but its LPIPS number means nothing.
 */
final class ScoringModelFiles {

  static final String LPIPS_FILE = "lpips-alex-random.safetensors";
  static final String BRISQUE_MODEL = "brisque_model_live.yml";
  static final String BRISQUE_RANGE = "brisque_range_live.yml";

  private ScoringModelFiles() {}

  /**
   * Copies the two BRISQUE files from the OpenCV jar under {@code workerLibDir} into {@code dir}
   * unless they are there already.
   */
  static void ensureBrisque(Path workerLibDir, Path dir) {
    if (Files.isRegularFile(dir.resolve(BRISQUE_MODEL))
        && Files.isRegularFile(dir.resolve(BRISQUE_RANGE))) {
      return;
    }
    Path jar = openCvJar(workerLibDir);
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      Files.createDirectories(dir);
      for (String name : List.of(BRISQUE_MODEL, BRISQUE_RANGE)) {
        ZipEntry entry =
            zip.stream()
                .filter(e -> e.getName().endsWith("/quality/" + name))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(jar + " holds no quality/" + name));
        Path tmp = dir.resolve(name + ".tmp");
        try (InputStream in = zip.getInputStream(entry)) {
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract the BRISQUE model files from " + jar, e);
    }
  }

  private static Path openCvJar(Path libDir) {
    try (Stream<Path> files = Files.list(libDir)) {
      return files
          .filter(
              p -> p.getFileName().toString().matches("org\\.bytedeco\\.opencv-.*linux.*\\.jar"))
          .findFirst()
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "no OpenCV jar for Linux in "
                          + libDir
                          + "; set VCT_BRISQUE_MODEL and VCT_BRISQUE_RANGE (see README, Scoring)"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + libDir, e);
    }
  }

  /**
   * Writes {@code dir/lpips-alex-random.safetensors} (seeded, so always the same bytes) unless it
   * exists: AlexNet's five convolutions, LPIPS' scaling layer and its five linear heads.
   */
  static Path ensureRandomLpips(Path dir) {
    Path file = dir.resolve(LPIPS_FILE);
    if (Files.isRegularFile(file)) {
      return file;
    }
    Random random = new Random(0);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put(
        "scaling_layer.shift",
        new Tensor(new long[] {1, 3, 1, 1}, new float[] {-.030f, -.088f, -.188f}));
    tensors.put(
        "scaling_layer.scale",
        new Tensor(new long[] {1, 3, 1, 1}, new float[] {.458f, .448f, .450f}));
    conv(tensors, random, "net.slice1.0", 64, 3, 11);
    conv(tensors, random, "net.slice2.3", 192, 64, 5);
    conv(tensors, random, "net.slice3.6", 384, 192, 3);
    conv(tensors, random, "net.slice4.8", 256, 384, 3);
    conv(tensors, random, "net.slice5.10", 256, 256, 3);
    int[] channels = {64, 192, 384, 256, 256};
    for (int k = 0; k < channels.length; k++) {
      tensors.put(
          "lin" + k + ".model.1.weight",
          new Tensor(new long[] {1, channels[k], 1, 1}, uniform(random, channels[k], 0f, 0.2f)));
    }
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve(LPIPS_FILE + ".tmp");
      writeSafetensors(tmp, tensors);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return file;
  }

  private record Tensor(long[] shape, float[] values) {}

  private static void conv(
      Map<String, Tensor> tensors, Random random, String prefix, int out, int in, int k) {
    float bound = (float) (1 / Math.sqrt((double) in * k * k));
    tensors.put(
        prefix + ".weight",
        new Tensor(new long[] {out, in, k, k}, uniform(random, out * in * k * k, -bound, bound)));
    tensors.put(
        prefix + ".bias", new Tensor(new long[] {out}, uniform(random, out, -bound, bound)));
  }

  private static float[] uniform(Random random, int count, float low, float high) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = low + (high - low) * random.nextFloat();
    }
    return values;
  }

  /** The safetensors format: little-endian header length, JSON header, raw little-endian data. */
  private static void writeSafetensors(Path file, Map<String, Tensor> tensors) throws IOException {
    StringBuilder header = new StringBuilder("{");
    long offset = 0;
    List<String> entries = new ArrayList<>();
    for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
      long bytes = 4L * entry.getValue().values().length;
      StringBuilder shape = new StringBuilder();
      for (long dim : entry.getValue().shape()) {
        shape.append(shape.length() == 0 ? "" : ",").append(dim);
      }
      entries.add(
          String.format(
              "\"%s\":{\"dtype\":\"F32\",\"shape\":[%s],\"data_offsets\":[%d,%d]}",
              entry.getKey(), shape, offset, offset + bytes));
      offset += bytes;
    }
    header.append(String.join(",", entries)).append('}');
    while ((header.length() + 8) % 8 != 0) {
      header.append(' ');
    }
    byte[] headerBytes = header.toString().getBytes(StandardCharsets.US_ASCII);
    try (OutputStream out = Files.newOutputStream(file)) {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      length.putLong(headerBytes.length);
      out.write(length.array());
      out.write(headerBytes);
      for (Tensor tensor : tensors.values()) {
        ByteBuffer data =
            ByteBuffer.allocate(4 * tensor.values().length).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(tensor.values());
        out.write(data.array());
      }
    }
  }
}
