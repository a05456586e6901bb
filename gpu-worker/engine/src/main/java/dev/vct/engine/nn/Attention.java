package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * Multi-head attention with diffusers' weights ({@code to_q}, {@code to_k}, {@code to_v}, {@code
 * to_out.0}): projects, splits heads, lets its {@link AttentionProcessor} attend, merges heads and
 * projects out. A layer is either self-attention (keys and values from its input) or
 * cross-attention (from a context), as SD-1.x uses each layer.
 *
 * <p>Tokens travel as matrices, (batch * tokens, width) with each batch element's tokens together,
 * so that every projection is one native matrix product with its bias. The projections of the same
 * input are stacked into one product (q, k and v for self-attention; k and v for cross-attention),
 * and {@code headDim^-0.5} is folded into the query projection's weights once at load.
 */
public final class Attention {
  private final String path;
  private final int heads;
  private final long headDim;
  private final boolean cross;
  private final Linear toQ; // cross: (inner, queryDim), scaled; null for self-attention
  private final Linear toKeysValues; // cross: (2 inner, contextDim); self: q (scaled), k, v rows
  private final Linear toOut; // (queryDim, inner)
  private volatile AttentionProcessor processor = DefaultAttentionProcessor.INSTANCE;

  private Attention(
      String path,
      int heads,
      long headDim,
      boolean cross,
      Linear toQ,
      Linear toKeysValues,
      Linear toOut) {
    this.path = Objects.requireNonNull(path, "path");
    this.heads = heads;
    this.headDim = headDim;
    this.cross = cross;
    this.toQ = toQ;
    this.toKeysValues = toKeysValues;
    this.toOut = toOut;
  }

  /**
   * A layer from its four projections: {@code cross} takes keys and values from a context, else
   * from the input. The projections are fused (see the class comment) and their arrays freed.
   */
  public static Attention of(
      String path, int heads, boolean cross, Linear toQ, Linear toK, Linear toV, Linear toOut) {
    long inner = toQ.outFeatures();
    if (heads <= 0 || inner % heads != 0) {
      throw new IllegalArgumentException(
          path + ": inner dimension " + inner + " cannot be split into " + heads + " heads");
    }
    if (toK.outFeatures() != inner || toV.outFeatures() != inner || toOut.inFeatures() != inner) {
      throw new IllegalArgumentException(path + ": q/k/v/out projections disagree on " + inner);
    }
    if (!cross && toK.inFeatures() != toQ.inFeatures()) {
      throw new IllegalArgumentException(
          path + ": self-attention needs q, k and v of the same input width");
    }
    long headDim = inner / heads;
    // to_q(x) * s = x (s W)^T + s b: the scale costs nothing per call
    NDArray scale = toQ.weightManager().full(new Shape(), (float) Math.pow(headDim, -0.5));
    Linear scaledQ = toQ.scaled(scale);
    scale.close();
    return cross
        ? new Attention(path, heads, headDim, true, scaledQ, Linear.stack(toK, toV), toOut)
        : new Attention(path, heads, headDim, false, null, Linear.stack(scaledQ, toK, toV), toOut);
  }

  /**
   * Loads {@code prefix.to_q}, {@code to_k}, {@code to_v} (bias when {@code qkvBias}) and {@code
   * to_out.0} (always with bias); the module path is the prefix. {@code cross}: keys and values
   * come from a context of width {@code contextDim}; otherwise {@code contextDim} must equal {@code
   * queryDim}.
   */
  public static Attention load(
      WeightSource weights,
      String prefix,
      long queryDim,
      long contextDim,
      int heads,
      long headDim,
      boolean qkvBias,
      boolean cross) {
    long inner = heads * headDim;
    return of(
        prefix,
        heads,
        cross,
        Linear.load(weights, prefix + ".to_q", queryDim, inner, qkvBias),
        Linear.load(weights, prefix + ".to_k", contextDim, inner, qkvBias),
        Linear.load(weights, prefix + ".to_v", contextDim, inner, qkvBias),
        Linear.load(weights, prefix + ".to_out.0", inner, queryDim, true));
  }

  public String path() {
    return path;
  }

  public int heads() {
    return heads;
  }

  public boolean cross() {
    return cross;
  }

  public AttentionProcessor processor() {
    return processor;
  }

  public void setProcessor(AttentionProcessor processor) {
    this.processor = Objects.requireNonNull(processor, "processor");
  }

  /**
   * @param hidden (batch * queries, queryDim), each batch element's queries together
   * @param batch the batch size
   * @param context (batch * keys, contextDim) for cross-attention; null for self-attention
   * @return (batch * queries, queryDim)
   */
  public NDArray forward(
      NDArray hidden, long batch, NDArray context, AttentionContext attentionContext) {
    if ((context != null) != cross) {
      throw new IllegalArgumentException(
          path
              + (cross
                  ? " is a cross-attention layer: it needs a context"
                  : " is a self-attention layer: it takes no context"));
    }
    return Scoped.call(() -> compute(hidden, batch, context, attentionContext));
  }

  private NDArray compute(
      NDArray hidden, long batch, NDArray context, AttentionContext attentionContext) {
    long queries = hidden.getShape().get(0) / batch;
    NDArray query;
    NDArray key;
    NDArray value;
    if (cross) {
      query = splitHeads(toQ.forward(hidden), batch, queries, 1).singletonOrThrow();
      NDList kv =
          splitHeads(toKeysValues.forward(context), batch, context.getShape().get(0) / batch, 2);
      key = kv.get(0);
      value = kv.get(1);
    } else {
      NDList qkv = splitHeads(toKeysValues.forward(hidden), batch, queries, 3);
      query = qkv.get(0);
      key = qkv.get(1);
      value = qkv.get(2);
    }
    AttentionCall call =
        new AttentionCall(path, cross, batch, heads, query, key, value, attentionContext);
    NDArray attended = processor.attend(call); // (batch * heads, queries, headDim)
    NDArray merged =
        attended
            .reshape(batch, heads, queries, headDim)
            .transpose(0, 2, 1, 3)
            .reshape(batch * queries, heads * headDim);
    return toOut.forward(merged);
  }

  /**
   * {@link #forward} in a script, attention computed as the writer's {@link ScriptedAttention}
   * writes it: {@code batch} names an int, {@code context} a matrix or null. Same operators as the
   * Java path.
   */
  public String script(ScriptWriter s, String hidden, String batch, String context) {
    String queries = s.let(hidden + ".size(0) // " + batch);
    String keys = queries;
    String query;
    String key;
    String value;
    if (cross) {
      query = scriptHeads(s, toQ.script(s, hidden), batch, queries, 1);
      keys = s.let(context + ".size(0) // " + batch);
      String kv = scriptHeads(s, toKeysValues.script(s, context), batch, keys, 2);
      key = kv + "[0]";
      value = kv + "[1]";
    } else {
      String qkv = scriptHeads(s, toKeysValues.script(s, hidden), batch, queries, 3);
      query = qkv + "[0]";
      key = qkv + "[1]";
      value = qkv + "[2]";
    }
    String attended =
        s.attention()
            .attend(
                s,
                new ScriptedAttentionCall(
                    path, cross, heads, batch, queries, keys, query, key, value));
    String merged =
        s.let(
            attended
                + ".reshape(["
                + batch
                + ", "
                + heads
                + ", "
                + queries
                + ", "
                + headDim
                + "]).permute([0, 2, 1, 3]).reshape(["
                + batch
                + " * "
                + queries
                + ", "
                + heads * headDim
                + "])");
    return toOut.script(s, merged);
  }

  /** {@link #splitHeads} in a script: one array for one part, else a list of {@code parts}. */
  private String scriptHeads(ScriptWriter s, String x, String batch, String tokens, int parts) {
    if (parts == 1) {
      return s.let(
          x
              + ".reshape(["
              + batch
              + ", "
              + tokens
              + ", "
              + heads
              + ", "
              + headDim
              + "]).permute([0, 2, 1, 3]).reshape(["
              + batch
              + " * "
              + heads
              + ", "
              + tokens
              + ", "
              + headDim
              + "])");
    }
    return s.let(
        "torch.chunk("
            + x
            + ".reshape(["
            + batch
            + ", "
            + tokens
            + ", "
            + parts
            + ", "
            + heads
            + ", "
            + headDim
            + "]).permute([2, 0, 3, 1, 4]).reshape(["
            + parts
            + " * "
            + batch
            + " * "
            + heads
            + ", "
            + tokens
            + ", "
            + headDim
            + "]), "
            + parts
            + ", 0)");
  }

  /**
   * (batch * tokens, parts * heads * headDim) to {@code parts} arrays of (batch * heads, tokens,
   * headDim), row b * heads + h (diffusers' layout). Views where the layout allows (batch 1).
   */
  private NDList splitHeads(NDArray x, long batch, long tokens, int parts) {
    if (parts == 1) {
      return new NDList(
          x.reshape(batch, tokens, heads, headDim)
              .transpose(0, 2, 1, 3)
              .reshape(batch * heads, tokens, headDim));
    }
    return x.reshape(batch, tokens, parts, heads, headDim)
        .transpose(2, 0, 3, 1, 4)
        .reshape(parts * batch * heads, tokens, headDim)
        .split(parts, 0);
  }
}
