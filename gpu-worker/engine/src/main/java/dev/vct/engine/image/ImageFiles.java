package dev.vct.engine.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads PNG and JPEG files into {@link RgbImage}s with the pixel values OpenCV's {@code
 * cv2.imread(path, IMREAD_COLOR)} gives: grayscale is replicated into three channels, alpha is
 * dropped (not blended), palettes are expanded, 16-bit samples keep their high byte ({@code >> 8})
 * and 1/2/4-bit grayscale is stretched to 0..255. Anything else (a truncated or damaged file, a
 * zero-sized or oversized picture, another format, a CMYK JPEG) is refused with an {@link
 * ImageReadException} that names the file and the problem.
 */
public final class ImageFiles {

  /** Refuse pictures above this many pixels (a decompression bomb would exhaust the heap). */
  public static final long MAX_PIXELS = 64L * 1024 * 1024;

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

  private ImageFiles() {}

  public static RgbImage read(Path file) throws ImageReadException {
    byte[] data;
    try {
      data = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ImageReadException("image file " + file + " does not exist");
    } catch (IOException e) {
      throw new ImageReadException("cannot read image file " + file + ": " + e.getMessage(), e);
    }
    return decode(data, file.toString());
  }

  /** Decodes PNG or JPEG bytes; {@code name} (a file name or blob key) appears in errors. */
  public static RgbImage decode(byte[] data, String name) throws ImageReadException {
    if (data.length == 0) {
      throw new ImageReadException(name + " is empty (0 bytes), not a PNG or JPEG image");
    }
    String format = sniffFormat(data, name);
    if (format.equals("png")) {
      checkPngChunks(data, name);
    }
    BufferedImage image = decodeWithImageIo(data, format, name);
    return toRgb(image, name);
  }

  private static String sniffFormat(byte[] data, String name) throws ImageReadException {
    if (startsWith(data, PNG_SIGNATURE)) {
      return "png";
    }
    if (data.length >= 3
        && (data[0] & 0xFF) == 0xFF
        && (data[1] & 0xFF) == 0xD8
        && (data[2] & 0xFF) == 0xFF) {
      return "jpeg";
    }
    throw new ImageReadException(
        name + " is not a PNG or JPEG image (its first bytes are " + hexPrefix(data) + ")");
  }

  /**
   * Walks the PNG chunk list up to IEND, checking that every chunk is complete and that the
   * critical chunks' CRCs match, as libpng does. ImageIO's decoder stops reading at the last pixel
   * row and would accept a file cut after it, or one whose data was altered.
   */
  private static void checkPngChunks(byte[] data, String name) throws ImageReadException {
    ByteBuffer buffer = ByteBuffer.wrap(data);
    int offset = PNG_SIGNATURE.length;
    while (true) {
      if (offset + 8 > data.length) {
        throw new ImageReadException(
            name + " is a truncated PNG: it ends before its IEND chunk (at byte " + offset + ")");
      }
      long length = buffer.getInt(offset) & 0xFFFFFFFFL;
      String type = new String(data, offset + 4, 4, StandardCharsets.ISO_8859_1);
      if (offset + 12 + length > data.length) {
        throw new ImageReadException(
            name + " is a truncated PNG: its " + type + " chunk at byte " + offset + " is cut off");
      }
      if (Character.isUpperCase(type.charAt(0))) {
        CRC32 crc = new CRC32();
        crc.update(data, offset + 4, 4 + (int) length);
        long stored = buffer.getInt(offset + 8 + (int) length) & 0xFFFFFFFFL;
        if (crc.getValue() != stored) {
          throw new ImageReadException(
              name + " is a damaged PNG: the CRC of its " + type + " chunk does not match");
        }
      }
      if (type.equals("IEND")) {
        return;
      }
      offset += 12 + (int) length;
    }
  }

  private static BufferedImage decodeWithImageIo(byte[] data, String format, String name)
      throws ImageReadException {
    String kind = format.toUpperCase(Locale.ROOT);
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
    if (!readers.hasNext()) {
      throw new IllegalStateException("this Java runtime has no ImageIO reader for " + format);
    }
    ImageReader reader = readers.next();
    List<String> warnings = new ArrayList<>();
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
      reader.setInput(in, true, true);
      reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
      int width = reader.getWidth(0);
      int height = reader.getHeight(0);
      if (width <= 0 || height <= 0) {
        throw new ImageReadException(
            name + " is a " + kind + " of size " + width + "x" + height + ": it has no pixels");
      }
      if ((long) width * height > MAX_PIXELS) {
        throw new ImageReadException(
            name
                + " is "
                + width
                + "x"
                + height
                + " pixels, more than the "
                + MAX_PIXELS
                + " this engine accepts; downscale it first");
      }
      BufferedImage image = reader.read(0);
      // libjpeg reports a cut-off or corrupt stream as a warning and fills the rest with grey;
      // scoring such a picture would measure the damage, so it is refused.
      if (!warnings.isEmpty()) {
        throw new ImageReadException(
            name + " is a damaged " + kind + ": " + String.join("; ", warnings));
      }
      return image;
    } catch (ImageReadException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // ImageIO's decoders signal malformed input with IOExceptions and assorted runtime
      // exceptions (index, argument, negative-size); all of them mean the file is damaged.
      throw new ImageReadException(
          "cannot decode " + name + " as " + kind + " (truncated or damaged file?): " + describe(e),
          e);
    } finally {
      reader.dispose();
    }
  }

  private static RgbImage toRgb(BufferedImage image, String name) throws ImageReadException {
    int width = image.getWidth();
    int height = image.getHeight();
    ColorModel model = image.getColorModel();
    Raster raster = image.getRaster();
    byte[] rgb = new byte[3 * width * height];
    int[] row = new int[width * raster.getNumBands()];
    int bands = raster.getNumBands();
    if (model instanceof IndexColorModel palette) {
      for (int y = 0; y < height; y++) {
        raster.getPixels(0, y, width, 1, row);
        for (int x = 0; x < width; x++) {
          int index = row[x * bands];
          int o = 3 * (y * width + x);
          rgb[o] = (byte) palette.getRed(index);
          rgb[o + 1] = (byte) palette.getGreen(index);
          rgb[o + 2] = (byte) palette.getBlue(index);
        }
      }
      return new RgbImage(width, height, rgb);
    }
    int colorType = model.getColorSpace().getType();
    int colors = model.getNumColorComponents();
    boolean gray = colorType == ColorSpace.TYPE_GRAY && colors == 1;
    boolean color = colorType == ColorSpace.TYPE_RGB && colors == 3;
    if (!gray && !color) {
      throw new ImageReadException(
          name
              + " has "
              + colors
              + " colour components in colour space type "
              + colorType
              + "; only grayscale and RGB pictures are supported (convert CMYK/YCCK to RGB)");
    }
    int bits = model.getComponentSize(0);
    for (int y = 0; y < height; y++) {
      raster.getPixels(0, y, width, 1, row);
      for (int x = 0; x < width; x++) {
        int o = 3 * (y * width + x);
        int p = x * bands;
        if (gray) {
          byte v = (byte) to8Bit(row[p], bits);
          rgb[o] = v;
          rgb[o + 1] = v;
          rgb[o + 2] = v;
        } else {
          rgb[o] = (byte) to8Bit(row[p], bits);
          rgb[o + 1] = (byte) to8Bit(row[p + 1], bits);
          rgb[o + 2] = (byte) to8Bit(row[p + 2], bits);
        }
      }
    }
    return new RgbImage(width, height, rgb);
  }

  /**
   * libpng's conversions that OpenCV asks for: 16-bit keeps the high byte (png_set_strip_16), low
   * bit depths are expanded by bit replication (v * 255 / (2^bits - 1)).
   */
  private static int to8Bit(int sample, int bits) {
    if (bits == 8) {
      return sample;
    }
    if (bits > 8) {
      return sample >>> (bits - 8);
    }
    return sample * 255 / ((1 << bits) - 1);
  }

  private static boolean startsWith(byte[] data, byte[] prefix) {
    if (data.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (data[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String hexPrefix(byte[] data) {
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(8, data.length); i++) {
      hex.append(String.format("%02x", data[i] & 0xFF));
      hex.append(i + 1 < Math.min(8, data.length) ? " " : "");
    }
    return hex.toString();
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    Throwable cause = e.getCause();
    if (cause != null && cause.getMessage() != null && !cause.getMessage().equals(message)) {
      message = (message == null ? "" : message + ": ") + cause.getMessage();
    }
    return message == null ? "the decoder stopped on malformed data" : message;
  }
}
