package dev.vct.engine.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * An 8-bit RGB picture: rows top to bottom, pixels left to right, channels interleaved as R, G, B.
 * This is what {@link ImageFiles} decodes every PNG and JPEG into.
 */
public record RgbImage(int width, int height, byte[] rgb) {

  public RgbImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          "an image needs a positive size, got " + width + "x" + height);
    }
    if (rgb.length != 3L * width * height) {
      throw new IllegalArgumentException(
          "a "
              + width
              + "x"
              + height
              + " RGB image needs "
              + 3L * width * height
              + " bytes, got "
              + rgb.length);
    }
  }

  /** Channel {@code c} (0 = R, 1 = G, 2 = B) of the pixel at column x, row y, as 0..255. */
  public int channel(int x, int y, int c) {
    return rgb[3 * (y * width + x) + c] & 0xFF;
  }

  /** The same pixels with the channels swapped to B, G, R: OpenCV's in-memory order. */
  public byte[] bgr() {
    byte[] bgr = new byte[rgb.length];
    for (int i = 0; i < rgb.length; i += 3) {
      bgr[i] = rgb[i + 2];
      bgr[i + 1] = rgb[i + 1];
      bgr[i + 2] = rgb[i];
    }
    return bgr;
  }

  /**
   * The picture as a float32 tensor of shape [1, 3, height, width] (RGB planes) with values {@code
   * u8 / 127.5 - 1} in [-1, 1], the input convention of the Stable Diffusion VAE and LPIPS.
   */
  public NDArray toTensor(NDManager manager) {
    int plane = width * height;
    float[] chw = new float[3 * plane];
    for (int p = 0; p < plane; p++) {
      for (int c = 0; c < 3; c++) {
        chw[c * plane + p] = (rgb[3 * p + c] & 0xFF) / 127.5f - 1f;
      }
    }
    return manager.create(chw, new Shape(1, 3, height, width));
  }

  /** "WxH", the way sizes appear in messages. */
  public String size() {
    return width + "x" + height;
  }
}
