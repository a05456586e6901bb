package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.nn.Attention;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.Conv2d;
import dev.vct.engine.nn.GroupNorm;
import dev.vct.engine.nn.Linear;
import dev.vct.engine.nn.Scoped;
import dev.vct.engine.nn.WeightSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The spatial transformer of a UNet level: GroupNorm, {@code proj_in} to tokens, transformer
 * blocks, {@code proj_out} back to a feature map, added to the input. {@code proj_in/out} are 1x1
 * convolutions in SD-1.x and linear layers when {@code use_linear_projection} (SD-2.x).
 */
final class Transformer2DModel {
  private static final float NORM_EPS = 1e-6f;
  private final GroupNorm norm;
  private final Conv2d projInConv; // (inner, channels, 1, 1), or null with linear projection
  private final Conv2d projOutConv;
  private final Linear projInLinear; // (inner, channels), or null with conv projection
  private final Linear projOutLinear;
  private final List<BasicTransformerBlock> blocks;

  private Transformer2DModel(
      GroupNorm norm,
      Conv2d projInConv,
      Conv2d projOutConv,
      Linear projInLinear,
      Linear projOutLinear,
      List<BasicTransformerBlock> blocks) {
    this.norm = norm;
    this.projInConv = projInConv;
    this.projOutConv = projOutConv;
    this.projInLinear = projInLinear;
    this.projOutLinear = projOutLinear;
    this.blocks = blocks;
  }

  static Transformer2DModel load(
      WeightSource w,
      String prefix,
      long channels,
      int heads,
      int layers,
      long crossAttentionDim,
      int groups,
      boolean linearProjection) {
    List<BasicTransformerBlock> blocks = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      blocks.add(
          BasicTransformerBlock.load(
              w, prefix + ".transformer_blocks." + i, channels, heads, crossAttentionDim));
    }
    GroupNorm norm = GroupNorm.load(w, prefix + ".norm", groups, channels, NORM_EPS);
    if (linearProjection) {
      return new Transformer2DModel(
          norm,
          null,
          null,
          Linear.load(w, prefix + ".proj_in", channels, channels, true),
          Linear.load(w, prefix + ".proj_out", channels, channels, true),
          List.copyOf(blocks));
    }
    return new Transformer2DModel(
        norm,
        Conv2d.load(w, prefix + ".proj_in", channels, channels, 1, 1, 0),
        Conv2d.load(w, prefix + ".proj_out", channels, channels, 1, 1, 0),
        null,
        null,
        List.copyOf(blocks));
  }

  List<Attention> attentions() {
    return blocks.stream().flatMap(b -> b.attentions().stream()).toList();
  }

  /** {@code x}: (N, C, H, W); {@code context}: (N, seq, crossAttentionDim). */
  NDArray forward(NDArray x, NDArray context, AttentionContext attentionContext) {
    return Scoped.call(() -> compute(x, context, attentionContext));
  }

  private NDArray compute(NDArray x, NDArray context, AttentionContext attentionContext) {
    Shape s = x.getShape();
    long n = s.get(0), c = s.get(1), h = s.get(2), w = s.get(3);
    NDArray hidden = norm.forward(x);
    if (projInConv != null) {
      hidden = projInConv.forward(hidden);
    }
    NDArray tokens = hidden.transpose(0, 2, 3, 1).reshape(n, h * w, c);
    if (projInLinear != null) {
      tokens = projInLinear.forward(tokens);
    }
    for (BasicTransformerBlock block : blocks) {
      tokens = block.forward(tokens, context, attentionContext);
    }
    if (projOutLinear != null) {
      tokens = projOutLinear.forward(tokens);
    }
    NDArray map = tokens.reshape(n, h, w, c).transpose(0, 3, 1, 2);
    if (projOutConv != null) {
      map = projOutConv.forward(map);
    }
    return map.add(x);
  }
}
