package dev.vct.engine.vct;

/**
 * Knobs of stage C, fusion, with the official values as defaults ({@link #defaults()}).
 *
 * @param guidance classifier-free guidance of both branches
 * @param crossRatio cross-attention refine + reweight for steps i < int(crossRatio · (N + 1))
 * @param selfRatio self-attention replacement for steps i < int(selfRatio · N)
 * @param selfMaxQueries self-attention is replaced only in layers with at most this many query
 *     tokens (the official 32² = 1024: at 512 px every level but the finest 64 x 64 one)
 * @param equalizerValue attention to the concept tokens is scaled by this during cross edits
 * @param fixEqualizer false reproduces the official indexing, which misses the start token and
 *     scales positions 0..K−1 (the start token and the first K−1 concept tokens); true scales the
 *     concept tokens themselves (positions 1..K)
 */
public record FusionParams(
    double guidance,
    double crossRatio,
    double selfRatio,
    int selfMaxQueries,
    double equalizerValue,
    boolean fixEqualizer) {

  public FusionParams {
    if (!(crossRatio >= 0 && crossRatio <= 1) || !(selfRatio >= 0 && selfRatio <= 1)) {
      throw new IllegalArgumentException(
          "injection ratios must be in [0, 1], got cross " + crossRatio + " and self " + selfRatio);
    }
    if (selfMaxQueries < 0) {
      throw new IllegalArgumentException("selfMaxQueries must be >= 0, got " + selfMaxQueries);
    }
  }

  public static FusionParams defaults() {
    return new FusionParams(7.5, 0.2, 0.9, 32 * 32, 0.5, false);
  }

  /**
   * Steps with cross-attention edits: int(crossRatio · (N + 1)), as get_time_words_attention_alpha.
   */
  public int crossSteps(int steps) {
    return Math.min(steps, (int) (crossRatio * (steps + 1)));
  }

  /** Steps with self-attention replacement: int(N · selfRatio). */
  public int selfSteps(int steps) {
    return (int) (steps * selfRatio);
  }

  public FusionParams withGuidance(double guidance) {
    return new FusionParams(
        guidance, crossRatio, selfRatio, selfMaxQueries, equalizerValue, fixEqualizer);
  }

  public FusionParams withRatios(double crossRatio, double selfRatio) {
    return new FusionParams(
        guidance, crossRatio, selfRatio, selfMaxQueries, equalizerValue, fixEqualizer);
  }

  public FusionParams withFixedEqualizer(boolean fixEqualizer) {
    return new FusionParams(
        guidance, crossRatio, selfRatio, selfMaxQueries, equalizerValue, fixEqualizer);
  }
}
