package dev.vct.gateway.image;

import dev.vct.gateway.error.ErrorCode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decides whether uploaded bytes are an image the pipeline can use, in an order that never spends
 * memory on a hostile file: byte size, format by magic bytes, dimensions from the header,
 * chunk/segment structure, and only then a full decode.
 */
public final class ImageInspector {
  private final long maxBytes;
  private final long maxPixels;
  private final int maxSide;

  public ImageInspector(long maxBytes, long maxPixels, int maxSide) {
    if (maxBytes <= 0 || maxPixels <= 0 || maxSide <= 0) {
      throw new IllegalArgumentException(
          "image limits must be positive: max-bytes="
              + maxBytes
              + " max-pixels="
              + maxPixels
              + " max-side="
              + maxSide);
    }
    this.maxBytes = maxBytes;
    this.maxPixels = maxPixels;
    this.maxSide = maxSide;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /**
   * @param field the request field the image came in, named in every refusal
   * @throws ImageRejection with the specific {@link ErrorCode} of the first problem found
   */
  public InspectedImage inspect(String field, byte[] bytes) {
    if (bytes.length == 0) {
      throw new ImageRejection(ErrorCode.EMPTY_IMAGE, field, "is empty");
    }
    if (bytes.length > maxBytes) {
      throw new ImageRejection(
          ErrorCode.IMAGE_TOO_LARGE,
          field,
          "is " + bytes.length + " bytes; the limit is " + maxBytes + " bytes");
    }
    ImageFormat format = sniff(field, bytes);
    ImageHeader header;
    try {
      header = format == ImageFormat.PNG ? PngStructure.header(bytes) : JpegStructure.header(bytes);
      checkDimensions(field, header);
      if (format == ImageFormat.PNG) {
        PngStructure.walk(bytes);
      }
    } catch (StructureDefect defect) {
      throw new ImageRejection(
          defect.truncated() ? ErrorCode.TRUNCATED_IMAGE : ErrorCode.CORRUPT_IMAGE,
          field,
          defect.getMessage());
    }
    decode(field, header, bytes);
    return new InspectedImage(header, bytes, sha256(bytes));
  }

  private static ImageFormat sniff(String field, byte[] b) {
    if (startsWith(b, PngStructure.SIGNATURE)) {
      return ImageFormat.PNG;
    }
    if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
      return ImageFormat.JPEG;
    }
    String what = describe(b);
    throw new ImageRejection(
        ErrorCode.UNSUPPORTED_IMAGE_FORMAT,
        field,
        "is " + what + "; send a PNG or a JPEG (the format is decided by the file's content)");
  }

  private static String describe(byte[] b) {
    if (b.length >= 12
        && startsWith(b, "RIFF".getBytes())
        && new String(b, 8, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("WEBP")) {
      return "a WebP file, which is not accepted";
    }
    if (startsWith(b, "GIF8".getBytes())) {
      return "a GIF file, which is not accepted";
    }
    if (startsWith(b, "BM".getBytes())) {
      return "a BMP file, which is not accepted";
    }
    if (startsWith(b, new byte[] {'I', 'I', 42, 0})
        || startsWith(b, new byte[] {'M', 'M', 0, 42})) {
      return "a TIFF file, which is not accepted";
    }
    return "not a recognised image";
  }

  private void checkDimensions(String field, ImageHeader header) {
    if (header.width() > maxSide || header.height() > maxSide || header.pixels() > maxPixels) {
      throw new ImageRejection(
          ErrorCode.IMAGE_DIMENSIONS_TOO_LARGE,
          field,
          "is "
              + header.width()
              + "x"
              + header.height()
              + " pixels; the limits are "
              + maxSide
              + " pixels a side and "
              + maxPixels
              + " pixels in all");
    }
  }

  /** A full decode proves the data is usable; its size is already bounded by the header. */
  private static void decode(String field, ImageHeader header, byte[] bytes) {
    Iterator<ImageReader> readers = ImageIO.getImageReadersByMIMEType(header.format().mediaType());
    if (!readers.hasNext()) {
      throw new IllegalStateException("no ImageIO reader for " + header.format());
    }
    ImageReader reader = readers.next();
    // In-memory stream: ImageIO's default would spill uploads to temporary files.
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      reader.setInput(in, true, true);
      BufferedImage image = reader.read(0);
      if (image.getWidth() != header.width() || image.getHeight() != header.height()) {
        throw new ImageRejection(
            ErrorCode.CORRUPT_IMAGE, field, "decodes to other dimensions than its header says");
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof ImageRejection rejection) {
        throw rejection;
      }
      throw new ImageRejection(
          ErrorCode.CORRUPT_IMAGE,
          field,
          "could not be decoded as " + header.format() + "; its data is damaged");
    } finally {
      reader.dispose();
    }
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    if (b.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
