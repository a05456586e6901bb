package dev.vct.gateway.image;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;

/** An uploaded image refused before or during decoding. */
public class ImageRejection extends ApiException {
  public ImageRejection(ErrorCode code, String field, String problem) {
    super(code, "Image '" + field + "' " + problem);
  }
}
