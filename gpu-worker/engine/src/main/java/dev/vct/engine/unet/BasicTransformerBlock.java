package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.nn.Attention;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.LayerNorm;
import dev.vct.engine.nn.Scoped;
import dev.vct.engine.nn.ScriptWriter;
import dev.vct.engine.nn.WeightSource;
import java.util.List;

/**
 * Pre-norm transformer block: self-attention ({@code attn1}), cross-attention ({@code attn2}) on
 * the encoder hidden states, GEGLU feed-forward, each added to its input.
 */
final class BasicTransformerBlock {
  private static final float LAYER_NORM_EPS = 1e-5f;
  private final LayerNorm norm1;
  private final Attention attn1;
  private final LayerNorm norm2;
  private final Attention attn2;
  private final LayerNorm norm3;
  private final FeedForward ff;

  private BasicTransformerBlock(
      LayerNorm norm1,
      Attention attn1,
      LayerNorm norm2,
      Attention attn2,
      LayerNorm norm3,
      FeedForward ff) {
    this.norm1 = norm1;
    this.attn1 = attn1;
    this.norm2 = norm2;
    this.attn2 = attn2;
    this.norm3 = norm3;
    this.ff = ff;
  }

  static BasicTransformerBlock load(
      WeightSource w, String prefix, long dim, int heads, long crossAttentionDim) {
    long headDim = dim / heads;
    return new BasicTransformerBlock(
        LayerNorm.load(w, prefix + ".norm1", dim, LAYER_NORM_EPS),
        Attention.load(w, prefix + ".attn1", dim, dim, heads, headDim, false, false),
        LayerNorm.load(w, prefix + ".norm2", dim, LAYER_NORM_EPS),
        Attention.load(w, prefix + ".attn2", dim, crossAttentionDim, heads, headDim, false, true),
        LayerNorm.load(w, prefix + ".norm3", dim, LAYER_NORM_EPS),
        FeedForward.load(w, prefix + ".ff", dim));
  }

  List<Attention> attentions() {
    return List.of(attn1, attn2);
  }

  /**
   * {@code x}: (batch * tokens, dim); {@code context}: (batch * seq, crossAttentionDim), each batch
   * element's rows together.
   */
  NDArray forward(NDArray x, long batch, NDArray context, AttentionContext attentionContext) {
    return Scoped.call(() -> compute(x, batch, context, attentionContext));
  }

  /**
   * {@link #forward} in a script (attention as the writer's {@link
   * dev.vct.engine.nn.ScriptedAttention} writes it).
   */
  String script(ScriptWriter s, String x, String batch, String context) {
    x = s.let("torch.add(" + attn1.script(s, norm1.script(s, x), batch, null) + ", " + x + ")");
    x = s.let("torch.add(" + attn2.script(s, norm2.script(s, x), batch, context) + ", " + x + ")");
    return s.let("torch.add(" + ff.script(s, norm3.script(s, x)) + ", " + x + ")");
  }

  private NDArray compute(
      NDArray x, long batch, NDArray context, AttentionContext attentionContext) {
    x = attn1.forward(norm1.forward(x), batch, null, attentionContext).add(x);
    x = attn2.forward(norm2.forward(x), batch, context, attentionContext).add(x);
    return ff.forward(norm3.forward(x)).add(x);
  }
}
