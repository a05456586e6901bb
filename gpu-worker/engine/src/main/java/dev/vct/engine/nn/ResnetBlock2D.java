package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * diffusers' {@code ResnetBlock2D} as SD-1.x uses it: GroupNorm, SiLU, 3x3 conv, plus the projected
 * time embedding (UNet only), GroupNorm, SiLU, 3x3 conv, added to the input (through a 1x1 {@code
 * conv_shortcut} when the channel count changes), divided by the output scale factor.
 */
public final class ResnetBlock2D {
  private final GroupNorm norm1;
  private final Conv2d conv1; // (out, in, 3, 3)
  private final Linear timeEmbProj; // (out, temb) or null without time embedding
  private final GroupNorm norm2;
  private final Conv2d conv2; // (out, out, 3, 3)
  private final Conv2d convShortcut; // (out, in, 1, 1) or null when in == out
  private final NDArray outputScale; // 0-d, or null for 1.0

  private ResnetBlock2D(
      GroupNorm norm1,
      Conv2d conv1,
      Linear timeEmbProj,
      GroupNorm norm2,
      Conv2d conv2,
      Conv2d convShortcut,
      NDArray outputScale) {
    this.norm1 = norm1;
    this.conv1 = conv1;
    this.timeEmbProj = timeEmbProj;
    this.norm2 = norm2;
    this.conv2 = conv2;
    this.convShortcut = convShortcut;
    this.outputScale = outputScale;
  }

  /**
   * @param tembChannels width of the time embedding, or 0 for none (the VAE)
   * @param outputScaleFactor the divisor of the sum (1 in SD-1.x)
   */
  public static ResnetBlock2D load(
      WeightSource w,
      String prefix,
      long in,
      long out,
      long tembChannels,
      int groups,
      float eps,
      double outputScaleFactor) {
    return new ResnetBlock2D(
        GroupNorm.load(w, prefix + ".norm1", groups, in, eps),
        Conv2d.load(w, prefix + ".conv1", in, out, 3, 1, 1),
        tembChannels > 0
            ? Linear.load(w, prefix + ".time_emb_proj", tembChannels, out, true)
            : null,
        GroupNorm.load(w, prefix + ".norm2", groups, out, eps),
        Conv2d.load(w, prefix + ".conv2", out, out, 3, 1, 1),
        in != out ? Conv2d.load(w, prefix + ".conv_shortcut", in, out, 1, 1, 0) : null,
        outputScaleFactor == 1.0 ? null : w.manager().full(new Shape(), (float) outputScaleFactor));
  }

  /**
   * @param x (N, in, H, W)
   * @param activatedTemb {@code silu(temb)}, (N, temb), shared by all blocks; null in the VAE
   */
  public NDArray forward(NDArray x, NDArray activatedTemb) {
    return Scoped.call(() -> compute(x, activatedTemb));
  }

  /**
   * {@link #forward} in a script; {@code activatedTemb} names the (N, temb) array, or null in the
   * VAE.
   */
  public String script(ScriptWriter s, String x, String activatedTemb) {
    String h = conv1.script(s, Activations.silu(s, norm1.script(s, x)));
    if (timeEmbProj != null) {
      String t = timeEmbProj.script(s, activatedTemb);
      h =
          s.let(
              "torch.add("
                  + h
                  + ", "
                  + t
                  + ".reshape(["
                  + t
                  + ".size(0), "
                  + t
                  + ".size(1), 1, 1]))");
    }
    h = conv2.script(s, Activations.silu(s, norm2.script(s, h)));
    String shortcut = convShortcut == null ? x : convShortcut.script(s, x);
    String sum = s.let("torch.add(" + shortcut + ", " + h + ")");
    return outputScale == null
        ? sum
        : s.let("torch.div(" + sum + ", " + s.weight(outputScale) + ")");
  }

  private NDArray compute(NDArray x, NDArray activatedTemb) {
    NDArray h = conv1.forward(Activations.silu(norm1.forward(x)));
    if (timeEmbProj != null) {
      NDArray t = timeEmbProj.forward(activatedTemb);
      h = h.add(t.reshape(t.getShape().get(0), t.getShape().get(1), 1, 1));
    }
    h = conv2.forward(Activations.silu(norm2.forward(h)));
    NDArray shortcut = convShortcut == null ? x : convShortcut.forward(x);
    NDArray sum = shortcut.add(h);
    return outputScale == null ? sum : sum.div(outputScale);
  }
}
