package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Layer normalisation over the last axis with a learned affine (torch {@code nn.LayerNorm}). */
public final class LayerNorm {
  private final NDArray weight; // (dim)
  private final NDArray bias; // (dim)
  private final Shape normalizedShape;
  private final float eps;

  public LayerNorm(NDArray weight, NDArray bias, float eps) {
    if (weight.getShape().dimension() != 1 || !weight.getShape().equals(bias.getShape())) {
      throw new IllegalArgumentException(
          "LayerNorm weight and bias must both be (dim), got "
              + weight.getShape()
              + " and "
              + bias.getShape());
    }
    this.weight = weight;
    this.bias = bias;
    this.normalizedShape = weight.getShape();
    this.eps = eps;
  }

  /** Loads {@code prefix.weight} and {@code prefix.bias}, both (dim). */
  public static LayerNorm load(WeightSource weights, String prefix, long dim, float eps) {
    return new LayerNorm(
        weights.take(prefix + ".weight", dim), weights.take(prefix + ".bias", dim), eps);
  }

  /** {@link #forward} in a script. */
  public String script(ScriptWriter s, String x) {
    return s.let(
        "torch.layer_norm("
            + x
            + ", "
            + ScriptWriter.ints(normalizedShape.getShape())
            + ", "
            + s.weight(weight)
            + ", "
            + s.weight(bias)
            + ", "
            + ScriptWriter.number(eps)
            + ")");
  }

  /** {@code x}: (..., dim). */
  public NDArray forward(NDArray x) {
    return ai.djl.nn.norm.LayerNorm.layerNorm(x, normalizedShape, weight, bias, eps)
        .singletonOrThrow();
  }
}
