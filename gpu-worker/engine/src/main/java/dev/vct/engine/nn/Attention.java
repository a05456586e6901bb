package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * Multi-head attention with diffusers' weights ({@code to_q}, {@code to_k}, {@code to_v}, {@code
 * to_out.0}): projects, splits heads, lets its {@link AttentionProcessor} attend, merges heads and
 * projects out. Self-attention when no context is given, cross-attention otherwise.
 */
public final class Attention {
  private final String path;
  private final int heads;
  private final Linear toQ; // (heads * headDim, queryDim)
  private final Linear toK; // (heads * headDim, contextDim)
  private final Linear toV; // (heads * headDim, contextDim)
  private final Linear toOut; // (queryDim, heads * headDim)
  private final NDArray scale; // 0-d headDim^-0.5
  private volatile AttentionProcessor processor = DefaultAttentionProcessor.INSTANCE;

  public Attention(
      String path, int heads, Linear toQ, Linear toK, Linear toV, Linear toOut, NDArray scale) {
    this.path = Objects.requireNonNull(path, "path");
    long inner = toQ.outFeatures();
    if (heads <= 0 || inner % heads != 0) {
      throw new IllegalArgumentException(
          path + ": inner dimension " + inner + " cannot be split into " + heads + " heads");
    }
    if (toK.outFeatures() != inner || toV.outFeatures() != inner || toOut.inFeatures() != inner) {
      throw new IllegalArgumentException(path + ": q/k/v/out projections disagree on " + inner);
    }
    this.heads = heads;
    this.toQ = toQ;
    this.toK = toK;
    this.toV = toV;
    this.toOut = toOut;
    this.scale = scale;
  }

  /**
   * Loads {@code prefix.to_q}, {@code to_k}, {@code to_v} (bias when {@code qkvBias}) and {@code
   * to_out.0} (always with bias); the module path is the prefix.
   */
  public static Attention load(
      WeightSource weights,
      String prefix,
      long queryDim,
      long contextDim,
      int heads,
      long headDim,
      boolean qkvBias) {
    long inner = heads * headDim;
    return new Attention(
        prefix,
        heads,
        Linear.load(weights, prefix + ".to_q", queryDim, inner, qkvBias),
        Linear.load(weights, prefix + ".to_k", contextDim, inner, qkvBias),
        Linear.load(weights, prefix + ".to_v", contextDim, inner, qkvBias),
        Linear.load(weights, prefix + ".to_out.0", inner, queryDim, true),
        scaleFor(weights, headDim));
  }

  /** The 0-d constant {@code headDim^-0.5}, owned by the weights' manager. */
  public static NDArray scaleFor(WeightSource weights, long headDim) {
    return weights.manager().full(new Shape(), (float) Math.pow(headDim, -0.5));
  }

  public String path() {
    return path;
  }

  public AttentionProcessor processor() {
    return processor;
  }

  public void setProcessor(AttentionProcessor processor) {
    this.processor = Objects.requireNonNull(processor, "processor");
  }

  /**
   * {@code hidden}: (batch, queries, queryDim); {@code context}: (batch, keys, contextDim), or null
   * for self-attention. Returns (batch, queries, queryDim).
   */
  public NDArray forward(NDArray hidden, NDArray context, AttentionContext attentionContext) {
    return Scoped.call(() -> compute(hidden, context, attentionContext));
  }

  private NDArray compute(NDArray hidden, NDArray context, AttentionContext attentionContext) {
    NDArray source = context == null ? hidden : context;
    AttentionCall call =
        new AttentionCall(
            path,
            context != null,
            splitHeads(toQ.forward(hidden)),
            splitHeads(toK.forward(source)),
            splitHeads(toV.forward(source)),
            scale,
            attentionContext);
    NDArray attended = processor.attend(call); // (batch, heads, queries, headDim)
    Shape s = attended.getShape();
    return toOut.forward(attended.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), -1));
  }

  /** (batch, tokens, heads * headDim) to (batch, heads, tokens, headDim). */
  private NDArray splitHeads(NDArray x) {
    Shape s = x.getShape();
    return x.reshape(s.get(0), s.get(1), heads, s.get(2) / heads).transpose(0, 2, 1, 3);
  }
}
