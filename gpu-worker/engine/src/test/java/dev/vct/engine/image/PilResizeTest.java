package dev.vct.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.vct.inputs.image.RgbImage;
import org.junit.jupiter.api.Test;

class PilResizeTest {

  private static RgbImage pattern(int w, int h) {
    byte[] rgb = new byte[3 * w * h];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) ((i * 37 + (i / (3 * w)) * 11) % 256);
    }
    return new RgbImage(w, h, rgb);
  }

  private static RgbImage mirror(RgbImage in) {
    byte[] out = new byte[in.rgb().length];
    for (int y = 0; y < in.height(); y++) {
      for (int x = 0; x < in.width(); x++) {
        for (int c = 0; c < 3; c++) {
          out[3 * (y * in.width() + x) + c] = (byte) in.channel(in.width() - 1 - x, y, c);
        }
      }
    }
    return new RgbImage(in.width(), in.height(), out);
  }

  @Test
  void uniformPicturesStayUniformAtAnySize() {
    byte[] grey = new byte[3 * 37 * 23];
    java.util.Arrays.fill(grey, (byte) 201);
    RgbImage resized = PilResize.bicubic(new RgbImage(37, 23, grey), 64, 64);
    for (byte b : resized.rgb()) {
      assertEquals(201, b & 0xFF);
    }
  }

  @Test
  void resizingCommutesWithMirroring() {
    RgbImage in = pattern(50, 30);
    for (int[] size : new int[][] {{16, 16}, {64, 64}, {25, 45}}) {
      RgbImage a = mirror(PilResize.bicubic(in, size[0], size[1]));
      RgbImage b = PilResize.bicubic(mirror(in), size[0], size[1]);
      assertArrayEquals(a.rgb(), b.rgb());
    }
  }

  @Test
  void sameSizeIsTheImageItselfAndUpscaledValuesFollowTheCubicKernel() {
    RgbImage in = pattern(8, 8);
    assertSame(in, PilResize.bicubic(in, 8, 8));
    // a 2x2 checker upscaled: the cubic kernel overshoots but is clipped to 0..255
    RgbImage checker = new RgbImage(2, 1, new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
    RgbImage wide = PilResize.bicubic(checker, 4, 1);
    assertEquals(0, wide.channel(0, 0, 0));
    assertEquals(255, wide.channel(3, 0, 0));
    // hand-computed: weights 0.793 / 0.207 of the two pixels (a = -0.5 kernel, normalised)
    assertEquals(53, wide.channel(1, 0, 0));
    assertEquals(202, wide.channel(2, 0, 0));
  }

  @Test
  void centerSquareTakesTheMiddleOfTheLongerSide() {
    RgbImage wide = pattern(10, 4);
    RgbImage square = PilResize.centerSquare(wide);
    assertEquals(4, square.width());
    assertEquals(wide.channel(3, 2, 1), square.channel(0, 2, 1));
    RgbImage tall = pattern(4, 9);
    assertEquals(tall.channel(1, 2, 0), PilResize.centerSquare(tall).channel(1, 0, 0));
  }
}
