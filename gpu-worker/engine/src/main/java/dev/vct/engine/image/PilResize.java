package dev.vct.engine.image;

import dev.vct.inputs.image.RgbImage;

/**
 * Pillow's {@code Image.resize(size, Image.BICUBIC)} for 8-bit RGB (libImaging/Resample.c):
 * separable convolution with the a = −0.5 cubic kernel, widened by the scale when shrinking
 * (antialiasing), coefficients in 22-bit fixed point, a horizontal then a vertical pass with 8-bit
 * rounding in between. The official VCT code prepares its images this way.
 */
public final class PilResize {

  private static final int PRECISION_BITS = 32 - 8 - 2;
  private static final double SUPPORT = 2.0;

  private PilResize() {}

  /** The image resized to width x height with Pillow's bicubic filter. */
  public static RgbImage bicubic(RgbImage in, int width, int height) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          "target size must be positive, got " + width + "x" + height);
    }
    if (width == in.width() && height == in.height()) {
      return in;
    }
    Coefficients horizontal = coefficients(in.width(), width);
    Coefficients vertical = coefficients(in.height(), height);
    byte[] src = in.rgb();
    int inW = in.width();
    // Rows of the source that the vertical pass reads.
    int firstRow = vertical.bounds[0];
    int lastRow = vertical.bounds[2 * (height - 1)] + vertical.bounds[2 * (height - 1) + 1];
    int rows = lastRow - firstRow;
    byte[] temp;
    int tempW;
    if (width != in.width()) {
      temp = new byte[3 * width * rows];
      tempW = width;
      for (int y = 0; y < rows; y++) {
        int srcRow = (y + firstRow) * inW;
        for (int x = 0; x < width; x++) {
          int xmin = horizontal.bounds[2 * x];
          int xmax = horizontal.bounds[2 * x + 1];
          int k = x * horizontal.ksize;
          for (int c = 0; c < 3; c++) {
            long ss = 1L << (PRECISION_BITS - 1);
            for (int i = 0; i < xmax; i++) {
              ss += (long) (src[3 * (srcRow + xmin + i) + c] & 0xFF) * horizontal.kk[k + i];
            }
            temp[3 * (y * width + x) + c] = clip8(ss);
          }
        }
      }
    } else {
      temp = new byte[3 * inW * rows];
      System.arraycopy(src, 3 * firstRow * inW, temp, 0, temp.length);
      tempW = inW;
    }
    if (height == in.height()) {
      return new RgbImage(width, height, temp);
    }
    byte[] out = new byte[3 * width * height];
    for (int y = 0; y < height; y++) {
      int ymin = vertical.bounds[2 * y] - firstRow;
      int ymax = vertical.bounds[2 * y + 1];
      int k = y * vertical.ksize;
      for (int x = 0; x < width; x++) {
        for (int c = 0; c < 3; c++) {
          long ss = 1L << (PRECISION_BITS - 1);
          for (int i = 0; i < ymax; i++) {
            ss += (long) (temp[3 * ((ymin + i) * tempW + x) + c] & 0xFF) * vertical.kk[k + i];
          }
          out[3 * (y * width + x) + c] = clip8(ss);
        }
      }
    }
    return new RgbImage(width, height, out);
  }

  /** The centred square of the image (side = the shorter side), as VCT's load_512 crops. */
  public static RgbImage centerSquare(RgbImage in) {
    int w = in.width();
    int h = in.height();
    if (w == h) {
      return in;
    }
    int side = Math.min(w, h);
    int left = w > h ? (w - h) / 2 : 0;
    int top = h > w ? (h - w) / 2 : 0;
    byte[] src = in.rgb();
    byte[] out = new byte[3 * side * side];
    for (int y = 0; y < side; y++) {
      System.arraycopy(src, 3 * ((y + top) * w + left), out, 3 * y * side, 3 * side);
    }
    return new RgbImage(side, side, out);
  }

  private record Coefficients(int ksize, int[] bounds, int[] kk) {}

  private static Coefficients coefficients(int inSize, int outSize) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = SUPPORT * filterScale;
    int ksize = (int) Math.ceil(support) * 2 + 1;
    int[] bounds = new int[2 * outSize];
    int[] kk = new int[outSize * ksize];
    double[] k = new double[ksize];
    for (int xx = 0; xx < outSize; xx++) {
      double center = (xx + 0.5) * scale;
      double ww = 0.0;
      double ss = 1.0 / filterScale;
      int xmin = (int) (center - support + 0.5);
      if (xmin < 0) {
        xmin = 0;
      }
      int xmax = (int) (center + support + 0.5);
      if (xmax > inSize) {
        xmax = inSize;
      }
      xmax -= xmin;
      for (int x = 0; x < xmax; x++) {
        double w = cubic((x + xmin - center + 0.5) * ss);
        k[x] = w;
        ww += w;
      }
      for (int x = 0; x < ksize; x++) {
        double w = x < xmax && ww != 0.0 ? k[x] / ww : (x < xmax ? k[x] : 0.0);
        kk[xx * ksize + x] =
            (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
      }
      bounds[2 * xx] = xmin;
      bounds[2 * xx + 1] = xmax;
    }
    return new Coefficients(ksize, bounds, kk);
  }

  /** Keys' cubic with a = −0.5, Pillow's bicubic_filter. */
  private static double cubic(double x) {
    double a = -0.5;
    if (x < 0.0) {
      x = -x;
    }
    if (x < 1.0) {
      return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * a;
    }
    return 0.0;
  }

  private static byte clip8(long in) {
    if (in >= (1L << PRECISION_BITS << 8)) {
      return (byte) 255;
    }
    if (in <= 0) {
      return 0;
    }
    return (byte) (in >> PRECISION_BITS);
  }
}
