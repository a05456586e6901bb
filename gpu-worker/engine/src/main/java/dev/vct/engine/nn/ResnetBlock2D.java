package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * diffusers' {@code ResnetBlock2D} as SD-1.x uses it: GroupNorm, SiLU, 3x3 conv, plus the projected
 * time embedding (UNet only), GroupNorm, SiLU, 3x3 conv, added to the input (through a 1x1 {@code
 * conv_shortcut} when the channel count changes), divided by the output scale factor.
 *
 * <p>The block's {@code time_emb_proj} belongs to its UNet, which projects the time embedding for
 * all its blocks in one matrix product per call and hands each block its share (the time shift).
 */
public final class ResnetBlock2D {
  private final GroupNorm norm1;
  private final Conv2d conv1; // (out, in, 3, 3)
  private final GroupNorm norm2;
  private final Conv2d conv2; // (out, out, 3, 3)
  private final Conv2d convShortcut; // (out, in, 1, 1) or null when in == out
  private final NDArray outputScale; // 0-d, or null for 1.0

  private ResnetBlock2D(
      GroupNorm norm1,
      Conv2d conv1,
      GroupNorm norm2,
      Conv2d conv2,
      Conv2d convShortcut,
      NDArray outputScale) {
    this.norm1 = norm1;
    this.conv1 = conv1;
    this.norm2 = norm2;
    this.conv2 = conv2;
    this.convShortcut = convShortcut;
    this.outputScale = outputScale;
  }

  /**
   * @param outputScaleFactor the divisor of the sum (1 in SD-1.x)
   */
  public static ResnetBlock2D load(
      WeightSource w,
      String prefix,
      long in,
      long out,
      int groups,
      float eps,
      double outputScaleFactor) {
    return new ResnetBlock2D(
        GroupNorm.load(w, prefix + ".norm1", groups, in, eps),
        Conv2d.load(w, prefix + ".conv1", in, out, 3, 1, 1),
        GroupNorm.load(w, prefix + ".norm2", groups, out, eps),
        Conv2d.load(w, prefix + ".conv2", out, out, 3, 1, 1),
        in != out ? Conv2d.load(w, prefix + ".conv_shortcut", in, out, 1, 1, 0) : null,
        outputScaleFactor == 1.0 ? null : w.manager().full(new Shape(), (float) outputScaleFactor));
  }

  /**
   * @param x (N, in, H, W)
   * @param timeShift this block's projection of {@code silu(temb)}, (N, out, 1, 1), added after
   *     {@code conv1}; null in the VAE
   */
  public NDArray forward(NDArray x, NDArray timeShift) {
    return Scoped.call(() -> compute(x, timeShift));
  }

  /**
   * {@link #forward} in a script; {@code timeShift} names the (N, out, 1, 1) array, or null in the
   * VAE.
   */
  public String script(ScriptWriter s, String x, String timeShift) {
    String h = conv1.script(s, Activations.silu(s, norm1.script(s, x)));
    if (timeShift != null) {
      h = s.let("torch.add(" + h + ", " + timeShift + ")");
    }
    h = conv2.script(s, Activations.silu(s, norm2.script(s, h)));
    String shortcut = convShortcut == null ? x : convShortcut.script(s, x);
    String sum = s.let("torch.add(" + shortcut + ", " + h + ")");
    return outputScale == null
        ? sum
        : s.let("torch.div(" + sum + ", " + s.weight(outputScale) + ")");
  }

  private NDArray compute(NDArray x, NDArray timeShift) {
    NDArray h = conv1.forward(Activations.silu(norm1.forward(x)));
    if (timeShift != null) {
      h = h.add(timeShift);
    }
    h = conv2.forward(Activations.silu(norm2.forward(h)));
    NDArray shortcut = convShortcut == null ? x : convShortcut.forward(x);
    NDArray sum = shortcut.add(h);
    return outputScale == null ? sum : sum.div(outputScale);
  }
}
