package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Group normalisation with a per-channel affine (torch {@code nn.GroupNorm}).
 *
 * <p>DJL has no group-norm op, so the input (N, C, *) is viewed as (N, G, C/G * rest), normalised
 * with the native layer-norm over the last axis (biased variance, eps inside the square root,
 * exactly as group norm defines it), and then scaled and shifted per channel.
 */
public final class GroupNorm {
  private final int groups;
  private final long channels;
  private final float eps;
  private final NDArray weight; // (C, 1, 1): broadcasts over (N, C, H, W)
  private final NDArray bias; // (C, 1, 1)

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
    this.weight = weight.reshape(c, 1, 1);
    this.bias = bias.reshape(c, 1, 1);
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
    long perGroup = shape.size() / (shape.get(0) * groups);
    Shape normalized = new Shape(perGroup);
    NDManager m = x.getManager();
    // layer_norm wants an affine of the normalised size: identity here, the real affine is per
    // channel and is applied below.
    NDArray normed =
        ai.djl.nn.norm.LayerNorm.layerNorm(
                x.reshape(shape.get(0), groups, perGroup),
                normalized,
                m.ones(normalized),
                m.zeros(normalized),
                eps)
            .singletonOrThrow()
            .reshape(shape);
    // In place on layer_norm's fresh output: its backward needs the input, not the output.
    return normed.muli(weight).addi(bias);
  }
}
