package dev.vct.engine.nn;

/**
 * One attention layer inside a script, handed to a {@link ScriptedAttention}: the names of the
 * script's variables for the layer's projections, already split into heads (the layout of {@link
 * AttentionCall}).
 *
 * @param path the layer's module path
 * @param cross true for cross-attention
 * @param heads heads per batch element
 * @param batch the name of the int holding the batch size
 * @param queries the name of the int holding the queries per batch element
 * @param keys the name of the int holding the keys per batch element
 * @param query (batch * heads, queries, headDim), already multiplied by {@code headDim^-0.5}
 * @param key (batch * heads, keys, headDim)
 * @param value (batch * heads, keys, headDim)
 */
public record ScriptedAttentionCall(
    String path,
    boolean cross,
    long heads,
    String batch,
    String queries,
    String keys,
    String query,
    String key,
    String value) {

  /** {@code softmax(Q K^T)} over the keys, as {@link AttentionCall#probabilities()}. */
  public String probabilities(ScriptWriter s) {
    return s.let("torch.softmax(torch.bmm(" + query + ", " + key + ".permute([0, 2, 1])), -1)");
  }

  /** {@code probabilities V}, as {@link AttentionCall#weightedValues}. */
  public String weightedValues(ScriptWriter s, String probabilities) {
    return s.let("torch.bmm(" + probabilities + ", " + value + ")");
  }
}
