package dev.vct.engine.vct;

import dev.vct.inputs.Knob;

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

  /** The knobs a client may set are checked against the {@link Knob} table. */
  public FusionParams {
    Knob.GUIDANCE_SCALE.require(guidance);
    Knob.CROSS_INJECTION_RATIO.require(crossRatio);
    Knob.SELF_INJECTION_RATIO.require(selfRatio);
    if (selfMaxQueries < 0) {
      throw new IllegalArgumentException("selfMaxQueries must be >= 0, got " + selfMaxQueries);
    }
  }

  public static FusionParams defaults() {
    return new FusionParams(
        Knob.GUIDANCE_SCALE.defaultNumber(),
        Knob.CROSS_INJECTION_RATIO.defaultNumber(),
        Knob.SELF_INJECTION_RATIO.defaultNumber(),
        32 * 32,
        0.5,
        Knob.CORRECTED_TOKEN_INDEXING.defaultFlag());
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
