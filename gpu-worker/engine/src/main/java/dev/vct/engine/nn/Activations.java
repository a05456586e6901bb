package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/** The activations SD-1.x uses; all are native ops and keep autograd intact. */
public final class Activations {
  private Activations() {}

  /** {@code x * sigmoid(x)}. */
  public static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  /** Exact (erf) GELU, torch's default {@code F.gelu}. */
  public static NDArray gelu(NDArray x) {
    return Activation.gelu(x);
  }

  /** GEGLU gate: {@code x} (..., 2d) split in half along the last axis, {@code a * gelu(b)}. */
  public static NDArray geglu(NDArray x) {
    Shape halves = x.getShape();
    long d = halves.get(halves.dimension() - 1) / 2;
    var parts = x.split(new long[] {d}, halves.dimension() - 1);
    return parts.get(0).mul(gelu(parts.get(1)));
  }
}
