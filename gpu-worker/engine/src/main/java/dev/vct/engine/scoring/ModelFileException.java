package dev.vct.engine.scoring;

/** A scoring model file that is not configured, missing or unreadable; says how to fix it. */
public final class ModelFileException extends RuntimeException {

  public ModelFileException(String message) {
    super(message);
  }
}
