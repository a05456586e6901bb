package dev.vct.inputs.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Pictures a client may upload, each with the verdict every layer must agree on: accepted ones
 * (every PNG colour type and depth, baseline, progressive and grey JPEGs) and refused ones with
 * their {@link ImageProblem}. The gateway's bad-input suite submits all of them; the worker's tests
 * read every accepted one with its own reader and preparation, so nothing the gateway accepts can
 * fail at the worker. Shared through this module's test-jar.
 */
public final class ImageSamples {
  private ImageSamples() {}

  /** A named file; {@code problem} is null for an accepted one. */
  public record Sample(String name, byte[] bytes, ImageProblem problem) {
    @Override
    public String toString() {
      return name;
    }
  }

  public static List<Sample> accepted() {
    List<Sample> out = new ArrayList<>();
    out.add(ok("8-bit RGB PNG", png(picture(48, 40, BufferedImage.TYPE_3BYTE_BGR, 1))));
    out.add(ok("8-bit RGBA PNG", png(picture(40, 48, BufferedImage.TYPE_4BYTE_ABGR, 2))));
    out.add(ok("8-bit grey PNG", png(picture(33, 21, BufferedImage.TYPE_BYTE_GRAY, 3))));
    out.add(ok("16-bit grey PNG", png(picture(21, 33, BufferedImage.TYPE_USHORT_GRAY, 4))));
    out.add(ok("1-bit grey PNG", png(picture(37, 23, BufferedImage.TYPE_BYTE_BINARY, 5))));
    out.add(ok("16-bit RGBA PNG", sixteenBitRgbaPng(24, 20, false)));
    out.add(ok("palette PNG", png(palette(30, 30))));
    out.add(ok("8-bit RGB PNG with a tRNS colour", withTransparentColour()));
    out.add(ok("1x1 PNG", png(picture(1, 1, BufferedImage.TYPE_3BYTE_BGR, 6))));
    out.add(ok("baseline JPEG", jpeg(picture(64, 48, BufferedImage.TYPE_3BYTE_BGR, 7), false)));
    out.add(ok("progressive JPEG", jpeg(picture(48, 64, BufferedImage.TYPE_3BYTE_BGR, 8), true)));
    out.add(ok("grey JPEG", jpeg(picture(40, 40, BufferedImage.TYPE_BYTE_GRAY, 9), false)));
    out.add(ok("1x1 JPEG", jpeg(picture(1, 1, BufferedImage.TYPE_3BYTE_BGR, 10), false)));
    return out;
  }

  public static List<Sample> refused() {
    byte[] png = png(picture(64, 64, BufferedImage.TYPE_3BYTE_BGR, 11));
    byte[] jpeg = jpeg(picture(96, 96, BufferedImage.TYPE_3BYTE_BGR, 12), false);
    List<Sample> out = new ArrayList<>();
    out.add(bad("empty file", new byte[0], ImageProblem.EMPTY));
    out.add(bad("text", ascii("just some text"), ImageProblem.NOT_PNG_OR_JPEG));
    out.add(bad("GIF", ascii("GIF89a\u0001\u0000\u0001\u0000"), ImageProblem.NOT_PNG_OR_JPEG));
    out.add(bad("WebP", ascii("RIFF\0\0\0\0WEBPVP8 "), ImageProblem.NOT_PNG_OR_JPEG));
    out.add(bad("PNG cut in its header", Arrays.copyOf(png, 20), ImageProblem.TRUNCATED));
    out.add(bad("PNG cut in its data", Arrays.copyOf(png, png.length / 2), ImageProblem.TRUNCATED));
    out.add(bad("PNG without IEND", Arrays.copyOf(png, png.length - 12), ImageProblem.TRUNCATED));
    out.add(bad("PNG with a wrong CRC", flip(png, png.length / 2), ImageProblem.CORRUPT));
    out.add(
        bad(
            "PNG whose data does not inflate",
            pngFile(ihdr(64, 64, 8, 2), new byte[] {0x78, 0x01, 0x03, 0x00}),
            ImageProblem.CORRUPT));
    out.add(
        bad("PNG of size 0x10", pngFile(ihdr(0, 10, 8, 2), new byte[] {1}), ImageProblem.CORRUPT));
    out.add(
        bad(
            "JPEG without end-of-image",
            Arrays.copyOf(jpeg, jpeg.length - 2),
            ImageProblem.TRUNCATED));
    out.add(
        bad(
            "JPEG whose scan is cut short but ends with EOI",
            cutScan(jpeg),
            ImageProblem.TRUNCATED));
    out.add(bad("JPEG with a garbage ICC profile", withGarbageIcc(jpeg), ImageProblem.CORRUPT));
    out.add(bad("CMYK JPEG", cmykJpeg(), ImageProblem.UNSUPPORTED_ENCODING));
    out.add(bad("12-bit JPEG", withFrame(jpeg, 0xc1, 12), ImageProblem.UNSUPPORTED_ENCODING));
    out.add(bad("lossless JPEG", withFrame(jpeg, 0xc3, 8), ImageProblem.UNSUPPORTED_ENCODING));
    out.add(
        bad("arithmetic-coded JPEG", withFrame(jpeg, 0xc9, 8), ImageProblem.UNSUPPORTED_ENCODING));
    out.add(
        bad(
            "progressive arithmetic-coded JPEG",
            withFrame(jpeg, 0xca, 8),
            ImageProblem.UNSUPPORTED_ENCODING));
    out.add(bad("JPEG with a fake header", fakeJpeg(), ImageProblem.CORRUPT));
    return out;
  }

  /**
   * A 16-bit RGBA PNG, all one colour: {@code side}x{@code side} pixels decode to 8 bytes each, but
   * the file is tiny (4096 a side: about 130 KB that decode to 128 MiB).
   *
   * @param transparentRgb write it as 16-bit RGB plus a tRNS colour instead (the decoder adds the
   *     alpha channel all the same)
   */
  public static byte[] sixteenBitRgbaPng(int width, int height, boolean transparentRgb) {
    int channels = transparentRgb ? 3 : 4;
    byte[] row = new byte[1 + width * channels * 2];
    Arrays.fill(row, 1, row.length, (byte) 0x40);
    byte[] idat = deflateRows(row, height);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(SIGNATURE);
    out.writeBytes(chunk("IHDR", ihdr(width, height, 16, transparentRgb ? 2 : 6)));
    if (transparentRgb) {
      out.writeBytes(chunk("tRNS", new byte[] {0, 1, 0, 2, 0, 3}));
    }
    out.writeBytes(chunk("IDAT", idat));
    out.writeBytes(chunk("IEND", new byte[0]));
    return out.toByteArray();
  }

  /** An 8-bit RGB PNG, all one grey: {@code side}x{@code side} pixels, a small file. */
  public static byte[] flatRgbPng(int side) {
    byte[] row = new byte[1 + side * 3];
    Arrays.fill(row, 1, row.length, (byte) 0x77);
    return pngFile(ihdr(side, side, 8, 2), deflateRows(row, side));
  }

  private static Sample ok(String name, byte[] bytes) {
    return new Sample(name, bytes, null);
  }

  private static Sample bad(String name, byte[] bytes, ImageProblem problem) {
    return new Sample(name, bytes, problem);
  }

  /** A smooth picture with some detail, so JPEG scans are long enough to cut. */
  static BufferedImage picture(int width, int height, int type, int seed) {
    BufferedImage image = new BufferedImage(width, height, type);
    WritableRaster raster = image.getRaster();
    int bands = raster.getNumBands();
    int max = (1 << image.getColorModel().getComponentSize(0)) - 1;
    java.util.Random random = new java.util.Random(seed);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        for (int b = 0; b < bands; b++) {
          double smooth = (x * (b + 1) + y * (3 - b) + seed * 13) % 97 / 96.0;
          double v = 0.8 * smooth + 0.2 * random.nextDouble();
          raster.setSample(x, y, b, (int) Math.round(v * max));
        }
      }
    }
    return image;
  }

  private static BufferedImage palette(int width, int height) {
    byte[] r = new byte[16];
    byte[] g = new byte[16];
    byte[] b = new byte[16];
    byte[] a = new byte[16];
    for (int i = 0; i < 16; i++) {
      r[i] = (byte) (i * 16);
      g[i] = (byte) (255 - i * 16);
      b[i] = (byte) (i * 9);
      a[i] = (byte) (i < 4 ? 0 : 255);
    }
    IndexColorModel model = new IndexColorModel(4, 16, r, g, b, a);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_BINARY, model);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.getRaster().setSample(x, y, 0, (x + 3 * y) % 16);
      }
    }
    return image;
  }

  /** An 8-bit RGB PNG with a tRNS chunk naming one colour transparent (inserted before IDAT). */
  private static byte[] withTransparentColour() {
    byte[] row = new byte[1 + 20 * 3];
    for (int i = 1; i < row.length; i++) {
      row[i] = (byte) (i * 5);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(SIGNATURE);
    out.writeBytes(chunk("IHDR", ihdr(20, 20, 8, 2)));
    out.writeBytes(chunk("tRNS", new byte[] {0, 5, 0, 10, 0, 15}));
    out.writeBytes(chunk("IDAT", deflateRows(row, 20)));
    out.writeBytes(chunk("IEND", new byte[0]));
    return out.toByteArray();
  }

  public static byte[] png(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalStateException("no PNG writer");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static byte[] jpeg(BufferedImage image, boolean progressive) {
    return writeJpeg(new IIOImage(image, null, null), progressive);
  }

  private static byte[] writeJpeg(IIOImage image, boolean progressive) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam param = writer.getDefaultWriteParam();
      if (progressive) {
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      }
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(0.9f);
      writer.write(null, image, param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /** A real four-component (CMYK) JPEG, written from a four-band raster. */
  private static byte[] cmykJpeg() {
    WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 32, 32, 4, null);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        raster.setPixel(x, y, new int[] {x * 8, y * 8, 40, 10});
      }
    }
    return writeJpeg(new IIOImage(raster, null, null), false);
  }

  /** The first part of the JPEG's scan, then an end-of-image marker, as a cut upload repaired. */
  private static byte[] cutScan(byte[] jpeg) {
    int sos = find(jpeg, 0xda);
    byte[] cut = Arrays.copyOf(jpeg, sos + (jpeg.length - sos) / 3 + 2);
    cut[cut.length - 2] = (byte) 0xff;
    cut[cut.length - 1] = (byte) 0xd9;
    return cut;
  }

  /** An APP2 ICC_PROFILE segment of random bytes right after the start-of-image marker. */
  private static byte[] withGarbageIcc(byte[] jpeg) {
    byte[] garbage = new byte[200];
    new java.util.Random(3).nextBytes(garbage);
    byte[] id = ascii("ICC_PROFILE\0");
    int length = 2 + id.length + 2 + garbage.length;
    ByteBuffer segment = ByteBuffer.allocate(2 + length);
    segment.put((byte) 0xff).put((byte) 0xe2).putShort((short) length).put(id);
    segment.put((byte) 1).put((byte) 1).put(garbage);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2);
    out.writeBytes(segment.array());
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  /** The JPEG with its frame header's marker and sample precision replaced. */
  private static byte[] withFrame(byte[] jpeg, int marker, int precision) {
    byte[] copy = jpeg.clone();
    int sof = find(copy, 0xc0);
    copy[sof + 1] = (byte) marker;
    copy[sof + 4] = (byte) precision;
    return copy;
  }

  /** The offset of the first FF marker segment, walking the segments from the start. */
  private static int find(byte[] jpeg, int marker) {
    int pos = 2;
    while (pos + 4 <= jpeg.length) {
      int m = jpeg[pos + 1] & 0xff;
      if (m == marker) {
        return pos;
      }
      pos += 2 + (((jpeg[pos + 2] & 0xff) << 8) | (jpeg[pos + 3] & 0xff));
    }
    throw new IllegalStateException("no marker FF" + Integer.toHexString(marker));
  }

  /** A real-looking JFIF header (FF D8, APP0 "JFIF") followed by text. */
  private static byte[] fakeJpeg() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 16});
    out.writeBytes(new byte[] {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0});
    out.writeBytes(ascii("this is not really a jpeg at all"));
    return out.toByteArray();
  }

  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  public static byte[] ihdr(int width, int height, int bitDepth, int colorType) {
    return ByteBuffer.allocate(13)
        .putInt(width)
        .putInt(height)
        .put((byte) bitDepth)
        .put((byte) colorType)
        .put((byte) 0)
        .put((byte) 0)
        .put((byte) 0)
        .array();
  }

  public static byte[] pngFile(byte[] ihdr, byte[] idat) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(SIGNATURE);
    out.writeBytes(chunk("IHDR", ihdr));
    out.writeBytes(chunk("IDAT", idat));
    out.writeBytes(chunk("IEND", new byte[0]));
    return out.toByteArray();
  }

  public static byte[] chunk(String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.ISO_8859_1);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    return ByteBuffer.allocate(12 + data.length)
        .putInt(data.length)
        .put(typeBytes)
        .put(data)
        .putInt((int) crc.getValue())
        .array();
  }

  private static byte[] deflateRows(byte[] row, int rows) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    byte[] buffer = new byte[64 * 1024];
    for (int y = 0; y < rows; y++) {
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
    return idat.toByteArray();
  }

  private static byte[] flip(byte[] bytes, int index) {
    byte[] copy = bytes.clone();
    copy[index] ^= (byte) 0x5a;
    return copy;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }
}
