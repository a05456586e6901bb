package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;

/**
 * One attention computation handed to an {@link AttentionProcessor}: the projections of one layer
 * for one model call, already split into heads. Arrays hold one matrix per (batch element, head),
 * row {@code b * heads + h} (diffusers' layout), so that the products are plain batched matrix
 * products.
 *
 * @param path the layer's module path, e.g. {@code
 *     down_blocks.0.attentions.0.transformer_blocks.0.attn1}
 * @param cross true for cross-attention (keys and values from the encoder hidden states)
 * @param batch the model's batch size
 * @param heads heads per batch element
 * @param query (batch * heads, queries, headDim), already multiplied by {@code headDim^-0.5}
 * @param key (batch * heads, keys, headDim)
 * @param value (batch * heads, keys, headDim)
 * @param context the caller's step information
 */
public record AttentionCall(
    String path,
    boolean cross,
    long batch,
    long heads,
    NDArray query,
    NDArray key,
    NDArray value,
    AttentionContext context) {

  public long queries() {
    return query.getShape().get(1);
  }

  public long keys() {
    return key.getShape().get(1);
  }

  /** {@code softmax(Q K^T)} over the keys (Q carries the scale): (batch * heads, queries, keys). */
  public NDArray probabilities() {
    return probabilities(query);
  }

  /**
   * The probabilities for a subset of the queries: {@code querySlice} is (batch * heads, n,
   * headDim), taken from {@link #query()} along axis 1.
   */
  public NDArray probabilities(NDArray querySlice) {
    // the raw scores are freed as soon as their softmax exists
    return Scoped.call(() -> querySlice.batchMatMul(key.transpose(0, 2, 1)).softmax(-1));
  }

  /** {@code probabilities V}: (batch * heads, n, headDim). */
  public NDArray weightedValues(NDArray probabilities) {
    return probabilities.batchMatMul(value);
  }
}
