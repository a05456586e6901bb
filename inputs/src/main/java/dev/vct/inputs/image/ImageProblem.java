package dev.vct.inputs.image;

/**
 * Why an image was refused, so each layer can answer in its own terms (the gateway maps each kind
 * to an error code, the worker fails the job with the message).
 */
public enum ImageProblem {
  /** No bytes at all. */
  EMPTY,
  /** Neither a PNG nor a JPEG (decided by the first bytes, never by a name). */
  NOT_PNG_OR_JPEG,
  /**
   * A PNG or JPEG in an encoding the pipeline does not read: CMYK/YCCK or another colour space than
   * RGB or grey, a 12-bit, lossless, hierarchical or arithmetic-coded JPEG.
   */
  UNSUPPORTED_ENCODING,
  /** The file ends before the image does. */
  TRUNCATED,
  /** The structure or data is damaged, or the decoder warned about it. */
  CORRUPT,
  /** More pixels, a longer side or more decoded bytes than the limits allow. */
  TOO_LARGE,
  /** The file could not be read from disk. */
  UNREADABLE
}
