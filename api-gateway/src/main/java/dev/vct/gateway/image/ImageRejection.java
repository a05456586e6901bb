package dev.vct.gateway.image;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;

/** An uploaded image refused before or during decoding. */
public class ImageRejection extends ApiException {
  public ImageRejection(ErrorCode code, String field, String problem) {
    this(code, label(field) + " " + problem);
  }

  public ImageRejection(ErrorCode code, String message) {
    super(code, message);
  }

  /** How messages name an uploaded image: "Image 'source'". */
  public static String label(String field) {
    return "Image '" + field + "'";
  }
}
