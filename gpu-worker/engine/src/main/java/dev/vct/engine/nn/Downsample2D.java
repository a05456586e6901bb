package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Halves the resolution with a stride-2 3x3 {@code conv}. With padding 0 (the VAE encoder) the
 * input is first padded by one zero row and column at the bottom and right, as diffusers does.
 */
public final class Downsample2D {
  private static final Shape PAD_RIGHT_BOTTOM = new Shape(0, 1, 0, 1); // (left, right, top, bottom)
  private final Conv2d conv;
  private final boolean asymmetricPad;

  private Downsample2D(Conv2d conv, boolean asymmetricPad) {
    this.conv = conv;
    this.asymmetricPad = asymmetricPad;
  }

  public static Downsample2D load(WeightSource w, String prefix, long channels, int padding) {
    return new Downsample2D(
        Conv2d.load(w, prefix + ".conv", channels, channels, 3, 2, padding), padding == 0);
  }

  /** {@link #forward} in a script. */
  public String script(ScriptWriter s, String x) {
    return conv.script(
        s, asymmetricPad ? s.let("torch.constant_pad_nd(" + x + ", [0, 1, 0, 1], 0.0)") : x);
  }

  public NDArray forward(NDArray x) {
    return conv.forward(asymmetricPad ? x.pad(PAD_RIGHT_BOTTOM, 0) : x);
  }
}
