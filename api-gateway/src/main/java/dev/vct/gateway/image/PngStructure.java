package dev.vct.gateway.image;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Reads a PNG's IHDR and walks its chunks (lengths, CRCs, IEND) without inflating any data, so a
 * decompression bomb is refused from its 33-byte header.
 */
final class PngStructure {
  static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private PngStructure() {}

  /** The IHDR's width and height (signature already checked). */
  static ImageHeader header(byte[] b) throws StructureDefect {
    // signature (8) + length (4) + "IHDR" (4) + 13 bytes of fields + CRC (4)
    if (b.length < 33) {
      throw new StructureDefect(true, "ends inside the PNG header (" + b.length + " bytes)");
    }
    if (readInt(b, 8) != 13 || !type(b, 12).equals("IHDR")) {
      throw new StructureDefect(false, "does not start with a PNG IHDR chunk");
    }
    long width = readInt(b, 16);
    long height = readInt(b, 20);
    if (width == 0 || height == 0 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
      throw new StructureDefect(false, "has invalid PNG dimensions " + width + "x" + height);
    }
    int bitDepth = b[24] & 0xff;
    int colorType = b[25] & 0xff;
    if (!validDepth(colorType, bitDepth)) {
      throw new StructureDefect(
          false, "has an invalid PNG colour type " + colorType + " / bit depth " + bitDepth);
    }
    if (b[26] != 0 || b[27] != 0 || (b[28] != 0 && b[28] != 1)) {
      throw new StructureDefect(
          false, "has an invalid PNG compression, filter or interlace method");
    }
    return new ImageHeader(ImageFormat.PNG, (int) width, (int) height);
  }

  /** Walks every chunk: each must fit in the file and match its CRC, and IEND must come. */
  static void walk(byte[] b) throws StructureDefect {
    int pos = SIGNATURE.length;
    boolean sawData = false;
    while (true) {
      if (pos + 8 > b.length) {
        throw new StructureDefect(true, "ends before its PNG IEND chunk");
      }
      long length = readInt(b, pos);
      if (length > Integer.MAX_VALUE) {
        throw new StructureDefect(false, "has a PNG chunk with an invalid length");
      }
      String type = type(b, pos + 4);
      long end = pos + 8L + length + 4;
      if (end > b.length) {
        throw new StructureDefect(true, "ends inside its PNG " + printable(type) + " chunk");
      }
      CRC32 crc = new CRC32();
      crc.update(b, pos + 4, 4 + (int) length);
      if (crc.getValue() != readInt(b, pos + 8 + (int) length)) {
        throw new StructureDefect(
            false, "has a PNG " + printable(type) + " chunk with a wrong CRC");
      }
      if (type.equals("IDAT")) {
        sawData = true;
      }
      if (type.equals("IEND")) {
        if (!sawData) {
          throw new StructureDefect(false, "has no PNG image data (IDAT)");
        }
        return;
      }
      pos = (int) end;
    }
  }

  private static boolean validDepth(int colorType, int depth) {
    return switch (colorType) {
      case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
      case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
      case 2, 4, 6 -> depth == 8 || depth == 16;
      default -> false;
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
