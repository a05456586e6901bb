package dev.vct.gateway.testing;

import dev.vct.inputs.image.ImageSamples;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;

/** Valid, broken and hostile image files, made in memory for the tests. */
public final class TestImages {
  private TestImages() {}

  /** A small gradient image, different for each {@code seed}. */
  public static BufferedImage picture(int width, int height, int seed) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(
            x, y, new Color((x * 7 + seed * 40) % 256, (y * 5 + seed * 90) % 256, 128).getRGB());
      }
    }
    return image;
  }

  public static byte[] png(int width, int height, int seed) {
    return encode(picture(width, height, seed), "png");
  }

  public static byte[] jpeg(int width, int height, int seed) {
    return encode(picture(width, height, seed), "jpg");
  }

  private static byte[] encode(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("no ImageIO writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * A decompression bomb: a valid 1-bit greyscale PNG of {@code side}x{@code side} all-zero pixels.
   * 20000x20000 inflates to 50 MB of filtered rows (1.6 GB as 32-bit pixels) but compresses to
   * about 50 KB.
   */
  public static byte[] pngBomb(int side) {
    int rowBytes = 1 + (side + 7) / 8; // filter byte + packed bits
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    byte[] row = new byte[rowBytes];
    byte[] buffer = new byte[64 * 1024];
    for (int y = 0; y < side; y++) {
      deflater.setInput(row);
      while (!deflater.needsInput()) {
        idat.write(buffer, 0, deflater.deflate(buffer));
      }
    }
    deflater.finish();
    while (!deflater.finished()) {
      idat.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    return pngFile(ihdr(side, side, 1, 0), idat.toByteArray());
  }

  /** A PNG whose IHDR claims {@code width}x{@code height} but that holds one tiny IDAT. */
  public static byte[] pngHeaderOnly(int width, int height) {
    return pngFile(ihdr(width, height, 8, 2), new byte[] {0x78, 0x01, 0x03, 0x00});
  }

  public static byte[] ihdr(int width, int height, int bitDepth, int colorType) {
    return ImageSamples.ihdr(width, height, bitDepth, colorType);
  }

  public static byte[] pngFile(byte[] ihdr, byte[] idat) {
    return ImageSamples.pngFile(ihdr, idat);
  }

  public static byte[] chunk(String type, byte[] data) {
    return ImageSamples.chunk(type, data);
  }

  /** The first {@code length} bytes of {@code bytes}. */
  public static byte[] cut(byte[] bytes, int length) {
    return Arrays.copyOf(bytes, length);
  }

  /** A copy with one byte flipped at {@code index}. */
  public static byte[] flip(byte[] bytes, int index) {
    byte[] copy = bytes.clone();
    copy[index] ^= (byte) 0x5a;
    return copy;
  }

  /**
   * A JPEG frame header (SOF0) claiming {@code width}x{@code height}, followed by an end-of-image
   * marker but no tables or scan: the header passes, decoding must fail.
   */
  public static byte[] jpegHeaderOnly(int width, int height) {
    return ByteBuffer.allocate(2 + 2 + 17 + 2)
        .put((byte) 0xff)
        .put((byte) 0xd8)
        .put((byte) 0xff)
        .put((byte) 0xc0)
        .putShort((short) 17)
        .put((byte) 8)
        .putShort((short) height)
        .putShort((short) width)
        .put((byte) 3)
        .put(new byte[] {1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1})
        .put((byte) 0xff)
        .put((byte) 0xd9)
        .array();
  }

  /** A real-looking JFIF header (FF D8, APP0 "JFIF") followed by text: a fake JPEG. */
  public static byte[] fakeJpeg() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 16});
    out.writeBytes(new byte[] {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0});
    out.writeBytes("this is not really a jpeg at all".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }
}
