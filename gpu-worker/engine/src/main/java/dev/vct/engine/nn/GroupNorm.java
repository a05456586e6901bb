package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
  private final Map<Long, NDArray[]> identities = new ConcurrentHashMap<>(); // ones, zeros

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
    NDArray[] identity = identityAffine(perGroup);
    NDArray normed =
        ai.djl.nn.norm.LayerNorm.layerNorm(
                x.reshape(shape.get(0), groups, perGroup),
                identity[0].getShape(),
                identity[0],
                identity[1],
                eps)
            .singletonOrThrow();
    NDArray view = normed.reshape(shape);
    // Out of place: an in-place op on the view would make autograd copy the whole base tensor
    // (CopySlices) in backward. The handles of layer_norm's output go at once: backward needs
    // neither (it keeps the input and the statistics), so memory stays one tensor per call.
    NDArray scaled = view.mul(weight);
    view.close();
    normed.close();
    return scaled.addi(bias);
  }

  /**
   * layer_norm wants an affine of the normalised size: identity here (the real affine is per
   * channel and is applied after). One pair of constants per size, made once and owned by the
   * weights' manager instead of two new arrays per call.
   */
  private NDArray[] identityAffine(long perGroup) {
    return identities.computeIfAbsent(
        perGroup,
        size -> {
          NDManager owner = weight.getManager();
          Shape normalized = new Shape(size);
          return new NDArray[] {
            Scoped.keep(owner.ones(normalized, weight.getDataType()), owner),
            Scoped.keep(owner.zeros(normalized, weight.getDataType()), owner)
          };
        });
  }
}
