package dev.vct.inputs.image;

/**
 * What a picture's header says, read without decoding any pixel data.
 *
 * @param channels the samples a decoded pixel holds: grey 1, grey+alpha 2, RGB 3, RGBA 4, a palette
 *     index 1; a PNG tRNS chunk on a grey or RGB picture adds an alpha channel (the decoder expands
 *     it)
 * @param bitsPerSample 1, 2, 4, 8 or 16
 */
public record ImageHeader(
    ImageFormat format, int width, int height, int channels, int bitsPerSample) {

  public long pixels() {
    return (long) width * height;
  }

  /**
   * The bytes a decode holds at once: the decoder's picture (a sample below 8 bits counted as a
   * byte, a 16-bit one as two) plus the 8-bit RGB copy the reader makes of it.
   */
  public long decodedBytes() {
    long bytesPerSample = bitsPerSample > 8 ? 2 : 1;
    return pixels() * channels * bytesPerSample + 3 * pixels();
  }

  /** "WxH", the way sizes appear in messages. */
  public String size() {
    return width + "x" + height;
  }
}
