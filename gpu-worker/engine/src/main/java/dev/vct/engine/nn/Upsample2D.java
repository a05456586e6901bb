package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;

/** Nearest-neighbour upsampling to a target size (2x in SD-1.x), then a 3x3 {@code conv}. */
public final class Upsample2D {
  private static final int NEAREST = 0;
  private final Conv2d conv;

  private Upsample2D(Conv2d conv) {
    this.conv = conv;
  }

  public static Upsample2D load(WeightSource w, String prefix, long channels) {
    return new Upsample2D(Conv2d.load(w, prefix + ".conv", channels, channels, 3, 1, 1));
  }

  /** Upsamples {@code x} (N, C, H, W) to (N, C, height, width). */
  public NDArray forward(NDArray x, long height, long width) {
    return conv.forward(
        x.getNDArrayInternal().interpolation(new long[] {height, width}, NEAREST, false));
  }

  /** {@link #forward(NDArray, long, long)} in a script, to the size of {@code like}'s H and W. */
  public String script(ScriptWriter s, String x, String like) {
    return conv.script(
        s,
        s.let("torch.upsample_nearest2d(" + x + ", [" + like + ".size(2), " + like + ".size(3)])"));
  }

  /** Upsamples by 2. */
  public NDArray forward(NDArray x) {
    return forward(x, x.getShape().get(2) * 2, x.getShape().get(3) * 2);
  }
}
