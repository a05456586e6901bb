package dev.vct.engine.image;

import java.io.IOException;

/** A file or byte array that is not a PNG or JPEG picture this engine can use; says why. */
public final class ImageReadException extends IOException {

  public ImageReadException(String message) {
    super(message);
  }

  public ImageReadException(String message, Throwable cause) {
    super(message, cause);
  }
}
