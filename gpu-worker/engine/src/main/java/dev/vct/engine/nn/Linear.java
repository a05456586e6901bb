package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** {@code y = x W^T + b} over the last axis (torch {@code nn.Linear}), one fused native call. */
public final class Linear {
  private final NDArray weight; // (out, in)
  private final NDArray bias; // (out) or null

  public Linear(NDArray weight, NDArray bias) {
    Shape w = weight.getShape();
    if (w.dimension() != 2) {
      throw new IllegalArgumentException("Linear weight must be (out, in), got " + w);
    }
    if (bias != null && !bias.getShape().equals(new Shape(w.get(0)))) {
      throw new IllegalArgumentException(
          "Linear bias must be (" + w.get(0) + "), got " + bias.getShape());
    }
    this.weight = weight;
    this.bias = bias;
  }

  /** Loads {@code prefix.weight} (out, in) and, when {@code bias}, {@code prefix.bias} (out). */
  public static Linear load(
      WeightSource weights, String prefix, long inFeatures, long outFeatures, boolean bias) {
    return new Linear(
        weights.take(prefix + ".weight", outFeatures, inFeatures),
        bias ? weights.take(prefix + ".bias", outFeatures) : null);
  }

  public long inFeatures() {
    return weight.getShape().get(1);
  }

  public long outFeatures() {
    return weight.getShape().get(0);
  }

  /** {@code x}: (..., in) to (..., out). */
  public NDArray forward(NDArray x) {
    return bias == null
        ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
        : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
  }
}
