package dev.vct.engine.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.nn.Attention;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.GroupNorm;
import dev.vct.engine.nn.Linear;
import dev.vct.engine.nn.Scoped;
import dev.vct.engine.nn.WeightSource;

/**
 * The single-head self-attention of the VAE mid block: GroupNorm, attention over the H x W
 * positions (head width = channels), added to the input.
 *
 * <p>Two key styles name the same tensors: diffusers >= 0.14 writes {@code to_q}, {@code to_k},
 * {@code to_v}, {@code to_out.0}; older files (the original SD-1.5 VAE, diffusers 0.10) write
 * {@code query}, {@code key}, {@code value}, {@code proj_attn}. Both load into the same layers.
 */
final class VaeAttentionBlock {
  private static final float EPS = 1e-6f;
  private final GroupNorm groupNorm;
  private final Attention attention;

  private VaeAttentionBlock(GroupNorm groupNorm, Attention attention) {
    this.groupNorm = groupNorm;
    this.attention = attention;
  }

  static VaeAttentionBlock load(WeightSource w, String prefix, long channels, int groups) {
    boolean legacy = w.contains(prefix + ".query.weight");
    String q = legacy ? ".query" : ".to_q";
    String k = legacy ? ".key" : ".to_k";
    String v = legacy ? ".value" : ".to_v";
    String out = legacy ? ".proj_attn" : ".to_out.0";
    return new VaeAttentionBlock(
        GroupNorm.load(w, prefix + ".group_norm", groups, channels, EPS),
        Attention.of(
            prefix,
            1,
            false,
            Linear.load(w, prefix + q, channels, channels, true),
            Linear.load(w, prefix + k, channels, channels, true),
            Linear.load(w, prefix + v, channels, channels, true),
            Linear.load(w, prefix + out, channels, channels, true)));
  }

  Attention attention() {
    return attention;
  }

  /** {@code x}: (N, C, H, W). */
  NDArray forward(NDArray x) {
    return Scoped.call(() -> compute(x));
  }

  private NDArray compute(NDArray x) {
    Shape s = x.getShape();
    long n = s.get(0);
    long c = s.get(1);
    NDArray tokens = groupNorm.forward(x).reshape(n, c, -1).transpose(0, 2, 1).reshape(-1, c);
    NDArray attended = attention.forward(tokens, n, null, AttentionContext.SINGLE_PASS);
    return x.add(attended.reshape(n, -1, c).transpose(0, 2, 1).reshape(s));
  }
}
