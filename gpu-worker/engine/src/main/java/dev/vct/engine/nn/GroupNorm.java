package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Group normalisation with a per-channel affine (torch {@code nn.GroupNorm}).
 *
 * <p>DJL has no group-norm op: libtorch's own ({@code torch.group_norm}, one operator with its
 * affine) runs through a one-line TorchScript function ({@link NativeOps}), the same kernel a
 * whole-model script calls ({@link #script}).
 */
public final class GroupNorm {
  private final int groups;
  private final long channels;
  private final float eps;
  private final NDArray weight; // (C)
  private final NDArray bias; // (C)

  public GroupNorm(int groups, NDArray weight, NDArray bias, float eps) {
    long c = weight.getShape().get(0);
    if (weight.getShape().dimension() != 1 || !weight.getShape().equals(bias.getShape())) {
      throw new IllegalArgumentException(
          "GroupNorm weight and bias must both be (channels), got "
              + weight.getShape()
              + " and "
              + bias.getShape());
    }
    if (groups <= 0 || c % groups != 0) {
      throw new IllegalArgumentException(
          "GroupNorm: " + c + " channels cannot be split into " + groups + " groups");
    }
    this.groups = groups;
    this.channels = c;
    this.eps = eps;
    this.weight = weight;
    this.bias = bias;
  }

  /** Loads {@code prefix.weight} and {@code prefix.bias}, both (channels). */
  public static GroupNorm load(
      WeightSource weights, String prefix, int groups, long channels, float eps) {
    return new GroupNorm(
        groups,
        weights.take(prefix + ".weight", channels),
        weights.take(prefix + ".bias", channels),
        eps);
  }

  /** {@code x}: (N, C, H, W). */
  public NDArray forward(NDArray x) {
    Shape shape = x.getShape();
    if (shape.dimension() != 4 || shape.get(1) != channels) {
      throw new IllegalArgumentException(
          "GroupNorm over "
              + channels
              + " channels expects (N, "
              + channels
              + ", H, W), got "
              + shape);
    }
    return NativeOps.groupNorm(x, groups, weight, bias, eps);
  }

  /** {@link #forward} in a script: libtorch's own group norm, one operator. */
  public String script(ScriptWriter s, String x) {
    return s.let(
        "torch.group_norm("
            + x
            + ", "
            + groups
            + ", "
            + s.weight(weight)
            + ", "
            + s.weight(bias)
            + ", "
            + ScriptWriter.number(eps)
            + ")");
  }
}
