package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.nn.Attention;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.GroupNorm;
import dev.vct.engine.nn.Linear;
import dev.vct.engine.nn.Scoped;
import dev.vct.engine.nn.ScriptWriter;
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
  private final Linear projIn; // (inner, channels): a 1x1 convolution's weights or a linear layer
  private final Linear projOut;
  private final List<BasicTransformerBlock> blocks;

  private Transformer2DModel(
      GroupNorm norm, Linear projIn, Linear projOut, List<BasicTransformerBlock> blocks) {
    this.norm = norm;
    this.projIn = projIn;
    this.projOut = projOut;
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
    return new Transformer2DModel(
        norm,
        projection(w, prefix + ".proj_in", channels, linearProjection),
        projection(w, prefix + ".proj_out", channels, linearProjection),
        List.copyOf(blocks));
  }

  /**
   * A 1x1 convolution over a feature map is a linear layer over its pixels: SD-1.x's conv
   * projections run as one matrix product on the tokens.
   */
  private static Linear projection(WeightSource w, String prefix, long channels, boolean linear) {
    if (linear) {
      return Linear.load(w, prefix, channels, channels, true);
    }
    NDArray kernel = w.take(prefix + ".weight", channels, channels, 1, 1);
    NDArray matrix = kernel.reshape(channels, channels); // a view: the storage stays
    kernel.close();
    return new Linear(matrix, w.take(prefix + ".bias", channels));
  }

  List<Attention> attentions() {
    return blocks.stream().flatMap(b -> b.attentions().stream()).toList();
  }

  /**
   * {@code x}: (N, C, H, W); {@code context}: (N * seq, crossAttentionDim), each element's rows
   * together.
   */
  NDArray forward(NDArray x, NDArray context, AttentionContext attentionContext) {
    return Scoped.call(() -> compute(x, context, attentionContext));
  }

  /**
   * {@link #forward} in a script (attention as the writer's {@link
   * dev.vct.engine.nn.ScriptedAttention} writes it).
   */
  String script(ScriptWriter s, String x, String context) {
    String n = s.let(x + ".size(0)");
    String h = s.let(x + ".size(2)");
    String w = s.let(x + ".size(3)");
    long c = projIn.inFeatures();
    String tokens =
        projIn.script(
            s,
            s.let(
                norm.script(s, x)
                    + ".permute([0, 2, 3, 1]).reshape(["
                    + n
                    + " * "
                    + h
                    + " * "
                    + w
                    + ", "
                    + c
                    + "])"));
    for (BasicTransformerBlock block : blocks) {
      tokens = block.script(s, tokens, n, context);
    }
    String map =
        projOut.script(s, tokens)
            + ".reshape(["
            + n
            + ", "
            + h
            + ", "
            + w
            + ", "
            + c
            + "]).permute([0, 3, 1, 2])";
    return s.let("torch.add(" + x + ", " + map + ")");
  }

  private NDArray compute(NDArray x, NDArray context, AttentionContext attentionContext) {
    Shape s = x.getShape();
    long n = s.get(0), c = s.get(1), h = s.get(2), w = s.get(3);
    NDArray tokens = projIn.forward(norm.forward(x).transpose(0, 2, 3, 1).reshape(n * h * w, c));
    for (BasicTransformerBlock block : blocks) {
      tokens = block.forward(tokens, n, context, attentionContext);
    }
    return x.add(projOut.forward(tokens).reshape(n, h, w, c).transpose(0, 3, 1, 2));
  }
}
