package dev.vct.engine.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Encoded pictures of every kind the reader must handle, made in memory with a fixed seed. */
final class TestImages {

  private TestImages() {}

  /** A smooth colour gradient with noise, so JPEG has real content to code. */
  static BufferedImage rgb(int width, int height, long seed) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    Random random = new Random(seed);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int r = clamp(x * 255 / Math.max(1, width - 1) + random.nextInt(31) - 15);
        int g = clamp(y * 255 / Math.max(1, height - 1) + random.nextInt(31) - 15);
        int b = clamp((x + y) * 127 / Math.max(1, width + height - 2) + random.nextInt(61));
        image.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    return image;
  }

  static BufferedImage rgba(int width, int height, long seed) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_4BYTE_ABGR);
    Random random = new Random(seed);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, random.nextInt()); // alpha 0..255, colour kept even where alpha = 0
      }
    }
    return image;
  }

  static BufferedImage gray8(int width, int height, long seed) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    fillRandom(image.getRaster(), seed, 256);
    return image;
  }

  static BufferedImage gray1(int width, int height, long seed) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_BINARY);
    fillRandom(image.getRaster(), seed, 2);
    return image;
  }

  static BufferedImage gray16(int width, int height, long seed) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_USHORT_GRAY);
    fillRandom(image.getRaster(), seed, 65536);
    return image;
  }

  static BufferedImage rgb16(int width, int height, long seed, boolean alpha) {
    ComponentColorModel model =
        new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_sRGB),
            alpha,
            false,
            alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE,
            DataBuffer.TYPE_USHORT);
    WritableRaster raster = model.createCompatibleWritableRaster(width, height);
    fillRandom(raster, seed, 65536);
    return new BufferedImage(model, raster, false, null);
  }

  /** A 16-colour palette picture whose palette also carries transparency (tRNS). */
  static BufferedImage palette(int width, int height, long seed) {
    Random random = new Random(seed);
    byte[] r = new byte[16];
    byte[] g = new byte[16];
    byte[] b = new byte[16];
    byte[] a = new byte[16];
    random.nextBytes(r);
    random.nextBytes(g);
    random.nextBytes(b);
    random.nextBytes(a);
    IndexColorModel model = new IndexColorModel(8, 16, r, g, b, a);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED, model);
    fillRandom(image.getRaster(), seed + 1, 16);
    return image;
  }

  static byte[] png(BufferedImage image) {
    return encode(image, "png");
  }

  static byte[] jpeg(BufferedImage image, float quality) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(image, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  static byte[] encode(BufferedImage image, String format) {
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
   * A hand-made 8-bit RGB PNG whose header claims {@code width x height}; the pixel data is a
   * correct zlib stream for a 1x1 picture, so only the header is wrong when the size is.
   */
  static byte[] pngWithHeaderSize(int width, int height) {
    ByteBuffer png = ByteBuffer.allocate(1024);
    png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height);
    ihdr.put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(png, "IHDR", ihdr.array());
    Deflater deflater = new Deflater();
    deflater.setInput(new byte[] {0, 10, 20, 30});
    deflater.finish();
    byte[] idat = new byte[64];
    int n = deflater.deflate(idat);
    deflater.end();
    chunk(png, "IDAT", Arrays.copyOf(idat, n));
    chunk(png, "IEND", new byte[0]);
    return Arrays.copyOf(png.array(), png.position());
  }

  private static void chunk(ByteBuffer png, String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    png.putInt(data.length).put(typeBytes).put(data);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    png.putInt((int) crc.getValue());
  }

  private static void fillRandom(WritableRaster raster, long seed, int levels) {
    Random random = new Random(seed);
    int[] pixel = new int[raster.getNumBands()];
    for (int y = 0; y < raster.getHeight(); y++) {
      for (int x = 0; x < raster.getWidth(); x++) {
        for (int c = 0; c < pixel.length; c++) {
          pixel[c] = random.nextInt(levels);
        }
        raster.setPixel(x, y, pixel);
      }
    }
  }

  private static int clamp(int v) {
    return Math.max(0, Math.min(255, v));
  }
}
