package dev.vct.inputs.image;

/**
 * How big a picture may be, checked from its header before any pixel is decoded.
 *
 * @param maxPixels width times height
 * @param maxSide width and height each
 * @param maxDecodedBytes the memory a decode takes, {@link ImageHeader#decodedBytes()}: a 16-bit
 *     RGBA PNG needs 8 bytes a pixel where an 8-bit RGB one needs 3, so a pixel bound alone does
 *     not bound memory
 */
public record ImageLimits(long maxPixels, int maxSide, long maxDecodedBytes) {

  /**
   * What the worker and the engine read: 64 Mi pixels of any kind. Its 3 GiB of decoded bytes is
   * above what any such picture takes (at most 704 MiB: 16-bit RGBA plus the RGB copy), so for the
   * worker only the pixel count binds. The gateway's limits must lie within these (it checks at
   * start) so that nothing it accepts is refused later.
   */
  public static final ImageLimits WORKER = new ImageLimits(64L << 20, Integer.MAX_VALUE, 3L << 30);

  public ImageLimits {
    if (maxPixels <= 0 || maxSide <= 0 || maxDecodedBytes <= 0) {
      throw new IllegalArgumentException(
          "image limits must be positive: max-pixels="
              + maxPixels
              + " max-side="
              + maxSide
              + " max-decoded-bytes="
              + maxDecodedBytes);
    }
  }

  /** Whether every picture these limits admit is admitted by {@code wider} too. */
  public boolean within(ImageLimits wider) {
    return maxPixels <= wider.maxPixels
        && maxSide <= wider.maxSide
        && maxDecodedBytes <= wider.maxDecodedBytes;
  }
}
