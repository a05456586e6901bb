package dev.vct.engine.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.nn.Linear;
import dev.vct.engine.nn.WeightSource;

/**
 * CLIP's multi-head self-attention ({@code q_proj}, {@code k_proj}, {@code v_proj}, {@code
 * out_proj}).
 */
final class ClipAttention {
  private final int heads;
  private final Linear qProj; // (hidden, hidden)
  private final Linear kProj; // (hidden, hidden)
  private final Linear vProj; // (hidden, hidden)
  private final Linear outProj; // (hidden, hidden)
  private final NDArray scale; // 0-d head_dim^-0.5, torch-owned so autograd sees a tensor

  private ClipAttention(
      int heads, Linear qProj, Linear kProj, Linear vProj, Linear outProj, NDArray scale) {
    this.heads = heads;
    this.qProj = qProj;
    this.kProj = kProj;
    this.vProj = vProj;
    this.outProj = outProj;
    this.scale = scale;
  }

  static ClipAttention load(WeightSource weights, String prefix, ClipTextConfig config) {
    long hidden = config.hiddenSize();
    return new ClipAttention(
        config.numAttentionHeads(),
        Linear.load(weights, prefix + ".q_proj", hidden, hidden, true),
        Linear.load(weights, prefix + ".k_proj", hidden, hidden, true),
        Linear.load(weights, prefix + ".v_proj", hidden, hidden, true),
        Linear.load(weights, prefix + ".out_proj", hidden, hidden, true),
        weights.manager().full(new Shape(), (float) Math.pow(config.headDim(), -0.5)));
  }

  /**
   * {@code x}: (batch, seq, hidden); {@code causalMask}: (seq, seq), 0 on and below the diagonal
   * and float32's lowest value above it (added to the scores, as transformers does).
   */
  NDArray forward(NDArray x, NDArray causalMask) {
    Shape shape = x.getShape();
    long batch = shape.get(0);
    long seq = shape.get(1);
    long hidden = shape.get(2);
    // As transformers: q is scaled before the product.
    NDArray q = splitHeads(qProj.forward(x).mul(scale), batch, seq);
    NDArray k = splitHeads(kProj.forward(x), batch, seq);
    NDArray v = splitHeads(vProj.forward(x), batch, seq);
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).add(causalMask); // (b, h, s, s)
    NDArray context = scores.softmax(-1).matMul(v); // (b, h, s, d)
    return outProj.forward(context.transpose(0, 2, 1, 3).reshape(batch, seq, hidden));
  }

  private NDArray splitHeads(NDArray x, long batch, long seq) {
    return x.reshape(batch, seq, heads, -1).transpose(0, 2, 1, 3);
  }
}
