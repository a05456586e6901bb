package dev.vct.inputs.image;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Reads a PNG's IHDR and walks its chunks (lengths, CRCs, IEND) without inflating any data, so a
 * decompression bomb is refused from its header and a file cut after its last pixel row (which
 * ImageIO's decoder would accept) or with altered data is refused as libpng refuses it.
 */
final class PngHeader {
  static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private PngHeader() {}

  /** The IHDR's fields and whether a tRNS chunk adds alpha (signature already checked). */
  static ImageHeader read(byte[] b, String name) throws ImageReadException {
    // signature (8) + length (4) + "IHDR" (4) + 13 bytes of fields + CRC (4)
    if (b.length < 33) {
      throw new ImageReadException(
          ImageProblem.TRUNCATED,
          name + " is a truncated PNG: it ends inside its header (" + b.length + " bytes)");
    }
    if (readInt(b, 8) != 13 || !type(b, 12).equals("IHDR")) {
      throw corrupt(name, "it does not start with an IHDR chunk");
    }
    long width = readInt(b, 16);
    long height = readInt(b, 20);
    if (width == 0 || height == 0 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
      throw corrupt(name, "its header gives the invalid size " + width + "x" + height);
    }
    int bitDepth = b[24] & 0xff;
    int colorType = b[25] & 0xff;
    int channels =
        switch (colorType) {
          case 0, 3 -> 1;
          case 2 -> 3;
          case 4 -> 2;
          case 6 -> 4;
          default -> 0;
        };
    if (channels == 0 || !validDepth(colorType, bitDepth)) {
      throw corrupt(name, "its header gives colour type " + colorType + " / bit depth " + bitDepth);
    }
    if (b[26] != 0 || b[27] != 0 || (b[28] != 0 && b[28] != 1)) {
      throw corrupt(name, "its header gives an unknown compression, filter or interlace method");
    }
    boolean transparency = (colorType == 0 || colorType == 2) && hasChunk(b, "tRNS");
    return new ImageHeader(
        ImageFormat.PNG, (int) width, (int) height, channels + (transparency ? 1 : 0), bitDepth);
  }

  /** Walks every chunk: each must fit in the file and match its CRC, and IEND must come. */
  static void walk(byte[] b, String name) throws ImageReadException {
    int pos = SIGNATURE.length;
    boolean sawData = false;
    while (true) {
      if (pos + 8 > b.length) {
        throw new ImageReadException(
            ImageProblem.TRUNCATED,
            name + " is a truncated PNG: it ends before its IEND chunk (at byte " + pos + ")");
      }
      long length = readInt(b, pos);
      if (length > Integer.MAX_VALUE) {
        throw corrupt(name, "the chunk at byte " + pos + " has an invalid length");
      }
      String type = printable(type(b, pos + 4));
      long end = pos + 8L + length + 4;
      if (end > b.length) {
        throw new ImageReadException(
            ImageProblem.TRUNCATED,
            name + " is a truncated PNG: its " + type + " chunk at byte " + pos + " is cut off");
      }
      CRC32 crc = new CRC32();
      crc.update(b, pos + 4, 4 + (int) length);
      if (crc.getValue() != readInt(b, pos + 8 + (int) length)) {
        throw new ImageReadException(
            ImageProblem.CORRUPT,
            name + " is a damaged PNG: the CRC of its " + type + " chunk does not match");
      }
      if (type.equals("IDAT")) {
        sawData = true;
      }
      if (type.equals("IEND")) {
        if (!sawData) {
          throw corrupt(name, "it has no image data (IDAT)");
        }
        return;
      }
      pos = (int) end;
    }
  }

  /** Whether a complete chunk of this type comes before the first IDAT (where tRNS must be). */
  private static boolean hasChunk(byte[] b, String wanted) {
    int pos = SIGNATURE.length;
    while (pos + 8 <= b.length) {
      long length = readInt(b, pos);
      String type = type(b, pos + 4);
      if (type.equals(wanted)) {
        return true;
      }
      if (type.equals("IDAT") || length > b.length) {
        return false;
      }
      pos += 12 + (int) length;
    }
    return false;
  }

  private static ImageReadException corrupt(String name, String problem) {
    return new ImageReadException(ImageProblem.CORRUPT, name + " is a damaged PNG: " + problem);
  }

  private static boolean validDepth(int colorType, int depth) {
    return switch (colorType) {
      case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
      case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
      default -> depth == 8 || depth == 16;
    };
  }

  private static long readInt(byte[] b, int at) {
    return ((long) (b[at] & 0xff) << 24)
        | ((b[at + 1] & 0xff) << 16)
        | ((b[at + 2] & 0xff) << 8)
        | (b[at + 3] & 0xff);
  }

  private static String type(byte[] b, int at) {
    return new String(b, at, 4, StandardCharsets.ISO_8859_1);
  }

  private static String printable(String type) {
    return type.chars().allMatch(c -> (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
        ? type
        : "(unnamed)";
  }
}
