package dev.vct.inputs.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads PNG and JPEG files into {@link RgbImage}s with the pixel values OpenCV's {@code
 * cv2.imread(path, IMREAD_COLOR)} gives: grayscale is replicated into three channels, alpha is
 * dropped (not blended), palettes are expanded, 16-bit samples keep their high byte ({@code >> 8})
 * and 1/2/4-bit grayscale is stretched to 0..255. Anything else (a truncated or damaged file, a
 * zero-sized or oversized picture, another format, a CMYK JPEG, any decoder warning) is refused
 * with an {@link ImageReadException} that names the file, the problem and its {@link ImageProblem}.
 * EXIF orientation is not applied (nor is it by the official code's loader).
 *
 * <p>The gateway decodes every upload with this class before it accepts a job, and the worker
 * decodes the stored bytes with it again, so an accepted job cannot fail on its images.
 */
public final class ImageFiles {

  private ImageFiles() {}

  /** Reads and decodes a file within {@link ImageLimits#WORKER}. */
  public static RgbImage read(Path file) throws ImageReadException {
    byte[] data;
    try {
      data = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ImageReadException(
          ImageProblem.UNREADABLE, "image file " + file + " does not exist");
    } catch (IOException e) {
      throw new ImageReadException(
          ImageProblem.UNREADABLE, "cannot read image file " + file + ": " + e.getMessage(), e);
    }
    return decode(data, file.toString());
  }

  /** Decodes PNG or JPEG bytes within {@link ImageLimits#WORKER}. */
  public static RgbImage decode(byte[] data, String name) throws ImageReadException {
    return decode(data, name, ImageLimits.WORKER);
  }

  /**
   * Decodes PNG or JPEG bytes; {@code name} (a file name, blob key or request field) starts every
   * error message. Everything {@link #inspect} checks is checked first.
   */
  public static RgbImage decode(byte[] data, String name, ImageLimits limits)
      throws ImageReadException {
    ImageHeader header = inspect(data, name, limits);
    BufferedImage image = decodeWithImageIo(data, header, name);
    return toRgb(image, name);
  }

  /**
   * Everything that can be checked without decoding a pixel, cheapest first: emptiness, the format
   * by its first bytes, the header (size, colour type, JPEG process, precision and components), the
   * limits, and for a PNG every chunk's length and CRC. Its {@link ImageHeader#decodedBytes()} is
   * what {@link #decode} will then hold in memory.
   */
  public static ImageHeader inspect(byte[] data, String name, ImageLimits limits)
      throws ImageReadException {
    if (data.length == 0) {
      throw new ImageReadException(
          ImageProblem.EMPTY, name + " is empty (0 bytes), not a PNG or JPEG image");
    }
    ImageFormat format = sniffFormat(data, name);
    ImageHeader header =
        format == ImageFormat.PNG ? PngHeader.read(data, name) : JpegHeader.read(data, name);
    checkLimits(header, name, limits);
    if (format == ImageFormat.PNG) {
      PngHeader.walk(data, name);
    }
    return header;
  }

  private static ImageFormat sniffFormat(byte[] data, String name) throws ImageReadException {
    if (startsWith(data, PngHeader.SIGNATURE)) {
      return ImageFormat.PNG;
    }
    if (data.length >= 3
        && (data[0] & 0xFF) == 0xFF
        && (data[1] & 0xFF) == 0xD8
        && (data[2] & 0xFF) == 0xFF) {
      return ImageFormat.JPEG;
    }
    throw new ImageReadException(
        ImageProblem.NOT_PNG_OR_JPEG,
        name
            + " is "
            + describe(data)
            + ", not a PNG or JPEG image; send a PNG or a JPEG (the format is decided by the"
            + " file's content, not its name)");
  }

  private static String describe(byte[] b) {
    if (b.length >= 12
        && startsWith(b, ascii("RIFF"))
        && new String(b, 8, 4, StandardCharsets.ISO_8859_1).equals("WEBP")) {
      return "a WebP file";
    }
    if (startsWith(b, ascii("GIF8"))) {
      return "a GIF file";
    }
    if (startsWith(b, ascii("BM"))) {
      return "a BMP file";
    }
    if (startsWith(b, new byte[] {'I', 'I', 42, 0})
        || startsWith(b, new byte[] {'M', 'M', 0, 42})) {
      return "a TIFF file";
    }
    return "a file starting with the bytes " + hexPrefix(b);
  }

  private static void checkLimits(ImageHeader header, String name, ImageLimits limits)
      throws ImageReadException {
    if (header.width() > limits.maxSide()
        || header.height() > limits.maxSide()
        || header.pixels() > limits.maxPixels()) {
      throw new ImageReadException(
          ImageProblem.TOO_LARGE,
          name
              + " is "
              + header.size()
              + " pixels; the limits are "
              + (limits.maxSide() == Integer.MAX_VALUE
                  ? ""
                  : limits.maxSide() + " pixels a side and ")
              + limits.maxPixels()
              + " pixels in all; downscale it first");
    }
    if (header.decodedBytes() > limits.maxDecodedBytes()) {
      throw new ImageReadException(
          ImageProblem.TOO_LARGE,
          name
              + " is "
              + header.size()
              + " pixels of "
              + header.channels()
              + " channels at "
              + header.bitsPerSample()
              + " bits, which decodes to "
              + mib(header.decodedBytes())
              + " MiB; the limit is "
              + mib(limits.maxDecodedBytes())
              + " MiB; send 8-bit samples without alpha, or downscale it first");
    }
  }

  private static long mib(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  private static BufferedImage decodeWithImageIo(byte[] data, ImageHeader header, String name)
      throws ImageReadException {
    String kind = header.format().name();
    Iterator<ImageReader> readers = ImageIO.getImageReadersByMIMEType(header.format().mediaType());
    if (!readers.hasNext()) {
      throw new IllegalStateException("this Java runtime has no ImageIO reader for " + kind);
    }
    ImageReader reader = readers.next();
    List<String> warnings = new ArrayList<>();
    // In memory: ImageIO's default stream would spill the bytes to a temporary file.
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
      reader.setInput(in, true, true);
      reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
      BufferedImage image = reader.read(0);
      // libjpeg reports a cut-off or corrupt scan (even one that ends with EOI), and ImageIO an
      // unusable ICC profile, as a warning and goes on; scoring such a picture would measure the
      // damage, so it is refused.
      if (!warnings.isEmpty()) {
        String said = String.join("; ", warnings);
        boolean cut = said.toLowerCase(Locale.ROOT).contains("premature end");
        throw new ImageReadException(
            cut ? ImageProblem.TRUNCATED : ImageProblem.CORRUPT,
            name + " is a " + (cut ? "truncated " : "damaged ") + kind + ": " + said);
      }
      if (image.getWidth() != header.width() || image.getHeight() != header.height()) {
        throw new ImageReadException(
            ImageProblem.CORRUPT,
            name
                + " is a damaged "
                + kind
                + ": it decodes to "
                + image.getWidth()
                + "x"
                + image.getHeight()
                + " pixels but its header says "
                + header.size());
      }
      return image;
    } catch (ImageReadException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // ImageIO's decoders signal malformed input with IOExceptions and assorted runtime
      // exceptions (index, argument, negative-size); all of them mean the file is damaged.
      throw new ImageReadException(
          ImageProblem.CORRUPT,
          name + " cannot be decoded as " + kind + " (damaged data): " + describe(e),
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
          ImageProblem.UNSUPPORTED_ENCODING,
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

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
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
    if (message == null) {
      return "the decoder stopped on malformed data";
    }
    // Decoder messages sometimes quote a wrapped exception's class name; callers show messages to
    // clients, who need the reason, not the class.
    return message.replaceAll("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z]\\w*(?:Exception|Error):\\s*", "");
  }
}
