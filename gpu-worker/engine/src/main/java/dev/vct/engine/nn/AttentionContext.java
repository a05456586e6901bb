package dev.vct.engine.nn;

/**
 * What an attention processor knows about the model call it runs in, beyond the tensors: the
 * caller's step number (the denoising step for VCT fusion, the optimisation step elsewhere).
 * Processors that edit attention per step (VCT's self- and cross-attention injection) read it; the
 * model only passes it through.
 */
public record AttentionContext(int step) {

  /** A lone model call that is not part of a step loop. */
  public static final AttentionContext SINGLE_PASS = new AttentionContext(0);

  public AttentionContext {
    if (step < 0) {
      throw new IllegalArgumentException("attention step must be >= 0, got " + step);
    }
  }
}
