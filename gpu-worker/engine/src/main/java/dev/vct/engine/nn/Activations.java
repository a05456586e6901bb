package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/** The activations SD-1.x uses; all are native ops and keep autograd intact. */
public final class Activations {
  private Activations() {}

  /** {@code x * sigmoid(x)}, libtorch's fused SiLU (the official code's {@code F.silu}). */
  public static NDArray silu(NDArray x) {
    return NativeOps.silu(x);
  }

  /** {@link #silu} in a script: libtorch's fused SiLU. */
  public static String silu(ScriptWriter s, String x) {
    return s.let("torch.silu(" + x + ")");
  }

  /** {@link #geglu} in a script. */
  public static String geglu(ScriptWriter s, String x) {
    String halves = s.let("torch.chunk(" + x + ", 2, -1)");
    return s.let("torch.mul(" + halves + "[0], torch.gelu(" + halves + "[1]))");
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
