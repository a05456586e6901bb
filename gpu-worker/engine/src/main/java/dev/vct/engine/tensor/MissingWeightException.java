package dev.vct.engine.tensor;

/** A weight a model needs is absent from its checkpoint or has the wrong shape. */
public class MissingWeightException extends RuntimeException {

  public MissingWeightException(String message) {
    super(message);
  }
}
