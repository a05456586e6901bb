package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;

/**
 * One attention computation handed to an {@link AttentionProcessor}: the projections of one layer
 * for one model call, already split into heads.
 *
 * @param path the layer's module path, e.g. {@code
 *     down_blocks.0.attentions.0.transformer_blocks.0.attn1}
 * @param cross true for cross-attention (keys and values from the encoder hidden states)
 * @param query (batch, heads, queries, headDim)
 * @param key (batch, heads, keys, headDim)
 * @param value (batch, heads, keys, headDim)
 * @param scale 0-d {@code headDim^-0.5}, a native constant (see the scalar pitfall in STACK.md)
 * @param context the caller's step information
 */
public record AttentionCall(
    String path,
    boolean cross,
    NDArray query,
    NDArray key,
    NDArray value,
    NDArray scale,
    AttentionContext context) {

  public long batch() {
    return query.getShape().get(0);
  }

  public long heads() {
    return query.getShape().get(1);
  }

  public long queries() {
    return query.getShape().get(2);
  }

  public long keys() {
    return key.getShape().get(2);
  }

  /** {@code softmax(Q K^T * scale)} over the keys: (batch, heads, queries, keys). */
  public NDArray probabilities() {
    return probabilities(query);
  }

  /**
   * The probabilities for a subset of the queries: {@code querySlice} is (batch, heads, n,
   * headDim), taken from {@link #query()} along axis 2.
   */
  public NDArray probabilities(NDArray querySlice) {
    // Scaling Q (n x d) rather than the scores (n x keys) is the cheaper equivalent. The raw
    // scores are freed as soon as their softmax exists.
    return Scoped.call(() -> querySlice.mul(scale).matMul(key.transpose(0, 1, 3, 2)).softmax(-1));
  }

  /** {@code probabilities V}: (batch, heads, n, headDim). */
  public NDArray weightedValues(NDArray probabilities) {
    return probabilities.matMul(value);
  }
}
