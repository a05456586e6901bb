package dev.vct.inputs.image;

import java.io.IOException;

/** A file or byte array that is not a PNG or JPEG picture the pipeline can use; says why. */
public final class ImageReadException extends IOException {
  private final ImageProblem problem;

  public ImageReadException(ImageProblem problem, String message) {
    super(message);
    this.problem = problem;
  }

  public ImageReadException(ImageProblem problem, String message, Throwable cause) {
    super(message, cause);
    this.problem = problem;
  }

  public ImageProblem problem() {
    return problem;
  }
}
