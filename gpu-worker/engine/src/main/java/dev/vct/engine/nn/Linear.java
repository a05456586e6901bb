package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

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

  /**
   * One layer whose outputs are those of {@code parts} side by side (their weights' rows stacked),
   * so that projections of the same input run as one matrix product. The parts must agree on the
   * input width and on having a bias; their arrays are freed.
   */
  public static Linear stack(Linear... parts) {
    boolean biased = parts[0].bias != null;
    for (Linear part : parts) {
      if (part.inFeatures() != parts[0].inFeatures() || (part.bias != null) != biased) {
        throw new IllegalArgumentException(
            "stacked Linear layers must share the input width and the bias, got "
                + Arrays.stream(parts)
                    .map(l -> l.weight.getShape() + (l.bias == null ? "" : " + bias"))
                    .toList());
      }
    }
    NDArray weight =
        NDArrays.concat(new NDList(Arrays.stream(parts).map(l -> l.weight).toList()), 0);
    NDArray bias =
        biased
            ? NDArrays.concat(new NDList(Arrays.stream(parts).map(l -> l.bias).toList()), 0)
            : null;
    for (Linear part : parts) {
      part.close();
    }
    return new Linear(weight, bias);
  }

  /**
   * This layer with its output multiplied by the 0-d {@code factor} (weight and bias scaled once
   * here instead of every output); this layer's arrays are freed.
   */
  public Linear scaled(NDArray factor) {
    Linear out = new Linear(weight.mul(factor), bias == null ? null : bias.mul(factor));
    close();
    return out;
  }

  private void close() {
    weight.close();
    if (bias != null) {
      bias.close();
    }
  }

  /** The manager that owns this layer's weights. */
  public NDManager weightManager() {
    return weight.getManager();
  }

  public long inFeatures() {
    return weight.getShape().get(1);
  }

  public long outFeatures() {
    return weight.getShape().get(0);
  }

  /** {@link #forward} in a script. */
  public String script(ScriptWriter s, String x) {
    return s.let(
        "torch.linear("
            + x
            + ", "
            + s.weight(weight)
            + (bias == null ? "" : ", " + s.weight(bias))
            + ")");
  }

  /** {@code x}: (..., in) to (..., out). */
  public NDArray forward(NDArray x) {
    return bias == null
        ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
        : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
  }
}
