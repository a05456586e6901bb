package dev.vct.gateway.image;

/**
 * Reads a JPEG's frame header (SOFn) by walking its marker segments, without decoding any
 * entropy-coded data, and checks that an end-of-image marker follows.
 */
final class JpegStructure {
  private static final int SOS = 0xda;
  private static final int EOI = 0xd9;

  private JpegStructure() {}

  /** The frame header's width and height (the FF D8 FF start already checked). */
  static ImageHeader header(byte[] b) throws StructureDefect {
    int pos = 2;
    while (true) {
      if (pos >= b.length) {
        throw new StructureDefect(true, "ends before its JPEG frame header");
      }
      if ((b[pos] & 0xff) != 0xff) {
        throw new StructureDefect(false, "has a malformed JPEG marker at byte " + pos);
      }
      while (pos < b.length && (b[pos] & 0xff) == 0xff) {
        pos++; // fill bytes before a marker
      }
      if (pos >= b.length) {
        throw new StructureDefect(true, "ends before its JPEG frame header");
      }
      int marker = b[pos] & 0xff;
      pos++;
      if ((marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) {
        continue; // markers without a length
      }
      if (marker == SOS || marker == EOI || marker == 0x00 || marker == 0xd8) {
        throw new StructureDefect(false, "has no JPEG frame header before its image data");
      }
      if (pos + 2 > b.length) {
        throw new StructureDefect(true, "ends inside a JPEG segment");
      }
      int length = ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff);
      if (length < 2) {
        throw new StructureDefect(false, "has a JPEG segment with an invalid length");
      }
      if (pos + length > b.length) {
        throw new StructureDefect(true, "ends inside a JPEG segment");
      }
      if (isFrameHeader(marker)) {
        if (length < 8) {
          throw new StructureDefect(false, "has a JPEG frame header that is too short");
        }
        int height = ((b[pos + 3] & 0xff) << 8) | (b[pos + 4] & 0xff);
        int width = ((b[pos + 5] & 0xff) << 8) | (b[pos + 6] & 0xff);
        if (width == 0 || height == 0) {
          throw new StructureDefect(false, "has invalid JPEG dimensions " + width + "x" + height);
        }
        requireEndOfImage(b, pos + length);
        return new ImageHeader(ImageFormat.JPEG, width, height);
      }
      pos += length;
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
  private static void requireEndOfImage(byte[] b, int from) throws StructureDefect {
    for (int i = b.length - 2; i >= from; i--) {
      if ((b[i] & 0xff) == 0xff && (b[i + 1] & 0xff) == EOI) {
        return;
      }
    }
    throw new StructureDefect(true, "ends before its JPEG end-of-image marker");
  }
}
