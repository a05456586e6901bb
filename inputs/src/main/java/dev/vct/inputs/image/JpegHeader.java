package dev.vct.inputs.image;

/**
 * Reads a JPEG's frame header (SOFn) by walking its marker segments, without decoding any
 * entropy-coded data, refuses the encodings the pipeline does not read (from the SOF marker, the
 * sample precision and the component count) and checks that an end-of-image marker follows.
 */
final class JpegHeader {
  private static final int SOS = 0xda;
  private static final int EOI = 0xd9;

  private JpegHeader() {}

  /** The frame header's size and components (the FF D8 FF start already checked). */
  static ImageHeader read(byte[] b, String name) throws ImageReadException {
    int pos = 2;
    while (true) {
      if (pos >= b.length) {
        throw truncated(name, "it ends before its frame header");
      }
      if ((b[pos] & 0xff) != 0xff) {
        throw corrupt(name, "it has a malformed marker at byte " + pos);
      }
      while (pos < b.length && (b[pos] & 0xff) == 0xff) {
        pos++; // fill bytes before a marker
      }
      if (pos >= b.length) {
        throw truncated(name, "it ends before its frame header");
      }
      int marker = b[pos] & 0xff;
      pos++;
      if ((marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) {
        continue; // markers without a length
      }
      if (marker == SOS || marker == EOI || marker == 0x00 || marker == 0xd8) {
        throw corrupt(name, "it has no frame header before its image data");
      }
      if (pos + 2 > b.length) {
        throw truncated(name, "it ends inside a marker segment");
      }
      int length = ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff);
      if (length < 2) {
        throw corrupt(name, "a marker segment has an invalid length");
      }
      if (pos + length > b.length) {
        throw truncated(name, "it ends inside a marker segment");
      }
      if (isFrameHeader(marker)) {
        if (length < 8) {
          throw corrupt(name, "its frame header is too short");
        }
        int precision = b[pos + 2] & 0xff;
        int height = ((b[pos + 3] & 0xff) << 8) | (b[pos + 4] & 0xff);
        int width = ((b[pos + 5] & 0xff) << 8) | (b[pos + 6] & 0xff);
        int components = b[pos + 7] & 0xff;
        checkEncoding(marker, precision, components, name);
        if (width == 0 || height == 0) {
          throw corrupt(name, "its frame header gives the invalid size " + width + "x" + height);
        }
        requireEndOfImage(b, pos + length, name);
        return new ImageHeader(ImageFormat.JPEG, width, height, components, 8);
      }
      pos += length;
    }
  }

  /**
   * Baseline, extended and progressive Huffman-coded 8-bit JPEGs with one (grey) or three (YCbCr or
   * RGB) components are what OpenCV's libjpeg and ImageIO both read alike; everything else is
   * refused by name.
   */
  private static void checkEncoding(int marker, int precision, int components, String name)
      throws ImageReadException {
    String process =
        switch (marker) {
          case 0xc0, 0xc1, 0xc2 -> null;
          case 0xc3 -> "lossless";
          case 0xc5, 0xc6, 0xc7 -> "hierarchical (differential)";
          default -> "arithmetic-coded";
        };
    if (process != null) {
      throw unsupported(name, "it is a " + process + " JPEG (SOF marker " + hex(marker) + ")");
    }
    if (precision != 8) {
      throw unsupported(name, "it has " + precision + "-bit samples; only 8-bit JPEGs are read");
    }
    if (components == 4) {
      throw unsupported(name, "it is a CMYK or YCCK JPEG; convert it to RGB");
    }
    if (components != 1 && components != 3) {
      throw unsupported(
          name, "it has " + components + " colour components; only grey and RGB are read");
    }
  }

  /** SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
  private static boolean isFrameHeader(int marker) {
    return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
  }

  /**
   * Entropy-coded data escapes every FF byte, so an FF D9 after the frame header can only be the
   * end-of-image marker; a file without one was cut off.
   */
  private static void requireEndOfImage(byte[] b, int from, String name) throws ImageReadException {
    for (int i = b.length - 2; i >= from; i--) {
      if ((b[i] & 0xff) == 0xff && (b[i + 1] & 0xff) == EOI) {
        return;
      }
    }
    throw truncated(name, "it ends before its end-of-image marker");
  }

  private static String hex(int marker) {
    return String.format("FF%02X", marker);
  }

  private static ImageReadException truncated(String name, String problem) {
    return new ImageReadException(
        ImageProblem.TRUNCATED, name + " is a truncated JPEG: " + problem);
  }

  private static ImageReadException corrupt(String name, String problem) {
    return new ImageReadException(ImageProblem.CORRUPT, name + " is a damaged JPEG: " + problem);
  }

  private static ImageReadException unsupported(String name, String problem) {
    return new ImageReadException(
        ImageProblem.UNSUPPORTED_ENCODING, name + " cannot be read: " + problem);
  }
}
