package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * Attention computed over slices of the queries so that no score tensor holds more than {@code
 * maxScoreElements} elements: at 512 px a 4096-token self-attention would otherwise materialise
 * batch x heads x 4096 x 4096 floats at once. Same result as {@link DefaultAttentionProcessor} up
 * to float rounding; gradients flow through every slice.
 */
public final class SlicedAttentionProcessor implements AttentionProcessor {
  private final long maxScoreElements;

  public SlicedAttentionProcessor(long maxScoreElements) {
    if (maxScoreElements < 1) {
      throw new IllegalArgumentException(
          "maxScoreElements must be positive, got " + maxScoreElements);
    }
    this.maxScoreElements = maxScoreElements;
  }

  /**
   * Whether a call with {@code scoreElements} scores (batch x heads x queries x keys) runs
   * unsliced.
   */
  public boolean slicesNothing(long scoreElements) {
    return scoreElements <= maxScoreElements;
  }

  /** How many queries one slice holds for this call (at least one). */
  long queriesPerSlice(AttentionCall call) {
    long perQuery = call.batch() * call.heads() * call.keys();
    return Math.max(1, Math.min(call.queries(), maxScoreElements / perQuery));
  }

  @Override
  public NDArray attend(AttentionCall call) {
    long step = queriesPerSlice(call);
    long queries = call.queries();
    if (step >= queries) {
      return call.weightedValues(call.probabilities());
    }
    long[] cuts = new long[(int) ((queries - 1) / step)];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = (i + 1) * step;
    }
    NDList slices = call.query().split(cuts, 1);
    NDList outputs = new NDList(slices.size());
    for (NDArray slice : slices) {
      // a finished slice's scores are freed at once (autograd keeps what backward needs)
      outputs.add(Scoped.call(() -> call.weightedValues(call.probabilities(slice))));
    }
    return NDArrays.concat(outputs, 1);
  }

  @Override
  public String toString() {
    return "SlicedAttentionProcessor(maxScoreElements=" + maxScoreElements + ")";
  }
}
