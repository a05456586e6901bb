package dev.vct.engine.tensor;

import java.util.List;

/** A checkpoint holds tensors that the model did not take: usually a config/weights mismatch. */
public class UnusedWeightsException extends RuntimeException {

  private final List<String> keys;

  public UnusedWeightsException(String message, List<String> keys) {
    super(message);
    this.keys = List.copyOf(keys);
  }

  /** The keys nobody took, sorted. */
  public List<String> keys() {
    return keys;
  }
}
