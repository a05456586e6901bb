package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;

/** {@code softmax(Q K^T * headDim^-0.5) V} with batched matrix products, all heads at once. */
public final class DefaultAttentionProcessor implements AttentionProcessor {

  public static final DefaultAttentionProcessor INSTANCE = new DefaultAttentionProcessor();

  private DefaultAttentionProcessor() {}

  @Override
  public NDArray attend(AttentionCall call) {
    return call.weightedValues(call.probabilities());
  }

  @Override
  public String toString() {
    return "DefaultAttentionProcessor";
  }
}
