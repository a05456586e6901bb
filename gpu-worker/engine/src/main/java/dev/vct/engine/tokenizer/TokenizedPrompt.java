package dev.vct.engine.tokenizer;

import java.util.Arrays;

/**
 * A prompt as Stable Diffusion feeds it to the text encoder: {@code ids} of the context length
 * (BOS, tokens, EOS, then padding) and the attention mask (1 for BOS, tokens and EOS, 0 for
 * padding; SD does not pass it to the encoder, the causal mask is enough).
 */
public record TokenizedPrompt(long[] ids, long[] attentionMask) {

  public TokenizedPrompt {
    if (ids.length != attentionMask.length) {
      throw new IllegalArgumentException(
          "ids (" + ids.length + ") and attention mask (" + attentionMask.length + ") differ");
    }
    ids = ids.clone();
    attentionMask = attentionMask.clone();
  }

  @Override
  public long[] ids() {
    return ids.clone();
  }

  @Override
  public long[] attentionMask() {
    return attentionMask.clone();
  }

  /** Positions holding BOS, a token or the EOS (the rest is padding). */
  public int tokenCount() {
    return (int) Arrays.stream(attentionMask).sum();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenizedPrompt p
        && Arrays.equals(ids, p.ids)
        && Arrays.equals(attentionMask, p.attentionMask);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(ids) + Arrays.hashCode(attentionMask);
  }

  @Override
  public String toString() {
    return "TokenizedPrompt" + Arrays.toString(Arrays.copyOf(ids, tokenCount()));
  }
}
