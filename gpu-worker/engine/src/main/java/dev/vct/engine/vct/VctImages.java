package dev.vct.engine.vct;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vct.engine.image.PilResize;
import dev.vct.inputs.image.RgbImage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/** Images in and out of the VCT stages, prepared as the official code prepares them. */
public final class VctImages {
  private VctImages() {}

  /**
   * The source for content inversion ({@code load_512}): first three channels, centre square,
   * bicubic resize to resolution, as (1, 3, R, R) values u8 / 127.5 − 1.
   */
  public static float[] source(RgbImage image, int resolution) {
    return pixels(preparedSource(image, resolution));
  }

  /**
   * The source as content inversion sees it, before the pixels become floats: the centre square
   * (offset rounded down, as {@code load_512} slices), bicubic-resized to resolution. Scoring
   * compares the translation with this image.
   */
  public static RgbImage preparedSource(RgbImage image, int resolution) {
    return PilResize.bicubic(PilResize.centerSquare(image), resolution, resolution);
  }

  /**
   * The reference for concept inversion (the official dataset): bicubic resize to resolution, no
   * crop, values computed in float64 as numpy does ({@code image / 127.5 - 1.0}), then float32.
   */
  public static float[] reference(RgbImage image, int resolution) {
    RgbImage resized = PilResize.bicubic(image, resolution, resolution);
    int plane = resized.width() * resized.height();
    byte[] rgb = resized.rgb();
    float[] chw = new float[3 * plane];
    for (int p = 0; p < plane; p++) {
      for (int c = 0; c < 3; c++) {
        chw[c * plane + p] = (float) ((rgb[3 * p + c] & 0xFF) / 127.5 - 1.0);
      }
    }
    return chw;
  }

  /** (1, 3, H, W) planes of u8 / 127.5 − 1 in float32, as torch computes them. */
  static float[] pixels(RgbImage image) {
    int plane = image.width() * image.height();
    byte[] rgb = image.rgb();
    float[] chw = new float[3 * plane];
    for (int p = 0; p < plane; p++) {
      for (int c = 0; c < 3; c++) {
        chw[c * plane + p] = (rgb[3 * p + c] & 0xFF) / 127.5f - 1f;
      }
    }
    return chw;
  }

  /** VAE decode of latents (N, C, h, w) scaled back by 1 / 0.18215: (N, 3, H, W), unclamped. */
  public static float[] decode(VctModels models, float[] latents, long[] shape) {
    try (NDManager m = models.manager().newSubManager()) {
      NDArray z = Tensors.floats(m, latents, shape);
      // ptp_utils.latent2image: latents = 1 / 0.18215 * latents
      NDArray scaled = z.mul(Tensors.scalar(m, (float) (1 / 0.18215)));
      return Tensors.values(models.vae().decode(scaled));
    }
  }

  /**
   * Row {@code index} of decoded images (N, 3, H, W) as 8-bit RGB: {@code (clamp(x / 2 + 0.5, 0, 1)
   * * 255).astype(uint8)}, truncating like numpy.
   */
  public static RgbImage toRgb(float[] decoded, int index, int height, int width) {
    int plane = height * width;
    int offset = index * 3 * plane;
    byte[] rgb = new byte[3 * plane];
    for (int p = 0; p < plane; p++) {
      for (int c = 0; c < 3; c++) {
        float v = decoded[offset + c * plane + p] / 2f + 0.5f;
        v = Math.min(Math.max(v, 0f), 1f);
        rgb[3 * p + c] = (byte) (int) (v * 255f);
      }
    }
    return new RgbImage(width, height, rgb);
  }

  /** The translation of a fusion result as an 8-bit image. */
  public static RgbImage translation(VctModels models, FusionResult result) {
    long[] shape = result.latentShape();
    float[] decoded = decode(models, result.translation(), shape);
    int f = models.vaeFactor();
    return toRgb(decoded, 0, (int) shape[2] * f, (int) shape[3] * f);
  }

  /** The image as PNG bytes (same pixels give the same bytes). */
  public static byte[] png(RgbImage image) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try {
      if (!ImageIO.write(buffered(image), "png", bytes)) {
        throw new IllegalStateException("this Java runtime has no PNG writer");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode a PNG in memory", e);
    }
    return bytes.toByteArray();
  }

  private static BufferedImage buffered(RgbImage image) {
    BufferedImage out =
        new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < image.height(); y++) {
      for (int x = 0; x < image.width(); x++) {
        int rgb =
            image.channel(x, y, 0) << 16 | image.channel(x, y, 1) << 8 | image.channel(x, y, 2);
        out.setRGB(x, y, rgb);
      }
    }
    return out;
  }

  /** Writes a PNG atomically (same pixels give the same bytes). */
  public static void writePng(RgbImage image, Path file) {
    Path target = file.toAbsolutePath();
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    try {
      if (target.getParent() != null) {
        Files.createDirectories(target.getParent());
      }
      Files.write(partial, png(image));
      Files.move(
          partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
