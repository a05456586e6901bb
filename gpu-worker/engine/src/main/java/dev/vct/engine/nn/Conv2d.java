package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** 2-D convolution, NCHW, square kernel, symmetric zero padding (torch {@code nn.Conv2d}). */
public final class Conv2d {
  private final NDArray weight; // (out, in, k, k)
  private final NDArray bias; // (out) or null
  private final Shape stride;
  private final Shape padding;
  private static final Shape NO_DILATION = new Shape(1, 1);

  static {
    OneDnn.configure(); // libtorch's oneDNN convolution gradients are wrong on some CPUs
    TorchLogLevel.configure(); // no NNPACK warning per convolution
  }

  public Conv2d(NDArray weight, NDArray bias, int stride, int padding) {
    Shape w = weight.getShape();
    if (w.dimension() != 4) {
      throw new IllegalArgumentException("Conv2d weight must be (out, in, kh, kw), got " + w);
    }
    if (bias != null && !bias.getShape().equals(new Shape(w.get(0)))) {
      throw new IllegalArgumentException(
          "Conv2d bias must be (" + w.get(0) + "), got " + bias.getShape());
    }
    this.weight = weight;
    this.bias = bias;
    this.stride = new Shape(stride, stride);
    this.padding = new Shape(padding, padding);
  }

  /**
   * Loads {@code prefix.weight} (out, in, kernel, kernel) and {@code prefix.bias} (out); the
   * padding keeps the spatial size at stride 1 when {@code padding = (kernel - 1) / 2}.
   */
  public static Conv2d load(
      WeightSource weights,
      String prefix,
      long inChannels,
      long outChannels,
      int kernel,
      int stride,
      int padding) {
    return new Conv2d(
        weights.take(prefix + ".weight", outChannels, inChannels, kernel, kernel),
        weights.take(prefix + ".bias", outChannels),
        stride,
        padding);
  }

  public long outChannels() {
    return weight.getShape().get(0);
  }

  /** {@link #forward} in a script. */
  public String script(ScriptWriter s, String x) {
    return s.let(
        "torch.conv2d("
            + x
            + ", "
            + s.weight(weight)
            + ", "
            + (bias == null ? "None" : s.weight(bias))
            + ", "
            + ScriptWriter.ints(stride.getShape())
            + ", "
            + ScriptWriter.ints(padding.getShape())
            + ", [1, 1], 1)");
  }

  /** {@code x}: (N, in, H, W). */
  public NDArray forward(NDArray x) {
    return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, stride, padding, NO_DILATION, 1)
        .singletonOrThrow();
  }
}
