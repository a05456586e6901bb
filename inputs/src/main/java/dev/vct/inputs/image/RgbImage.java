package dev.vct.inputs.image;

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

  /** "WxH", the way sizes appear in messages. */
  public String size() {
    return width + "x" + height;
  }
}
