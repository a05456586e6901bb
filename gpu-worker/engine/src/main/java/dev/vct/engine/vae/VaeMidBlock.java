package dev.vct.engine.vae;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.nn.ResnetBlock2D;
import dev.vct.engine.nn.WeightSource;

/** {@code UNetMidBlock2D} without time embedding: resnet, self-attention, resnet. */
final class VaeMidBlock {
  private final ResnetBlock2D resnet0;
  private final VaeAttentionBlock attention;
  private final ResnetBlock2D resnet1;

  private VaeMidBlock(ResnetBlock2D resnet0, VaeAttentionBlock attention, ResnetBlock2D resnet1) {
    this.resnet0 = resnet0;
    this.attention = attention;
    this.resnet1 = resnet1;
  }

  static VaeMidBlock load(WeightSource w, String prefix, long channels, int groups) {
    return new VaeMidBlock(
        VaeResnets.load(w, prefix + ".resnets.0", channels, channels, groups),
        VaeAttentionBlock.load(w, prefix + ".attentions.0", channels, groups),
        VaeResnets.load(w, prefix + ".resnets.1", channels, channels, groups));
  }

  VaeAttentionBlock attention() {
    return attention;
  }

  NDArray forward(NDArray x) {
    return resnet1.forward(attention.forward(resnet0.forward(x, null)), null);
  }
}
