package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;

/**
 * The computation of one attention layer, separate from its weights (diffusers' processor pattern):
 * {@link Attention} projects and splits heads, the processor turns the call into attended values,
 * and {@link Attention} merges the heads and projects out.
 *
 * <p>Recording attention maps, slicing to save memory and VCT's attention injection are all
 * processors installed per layer by module path; the model has no modes.
 *
 * <p>Arrays created during {@link #attend} are freed when the layer's call returns (see {@link
 * Scoped}); a processor that keeps one beyond the call (a recording, maps to inject at a later
 * step) must take it out of the scope with {@link Scoped#keep}.
 */
@FunctionalInterface
public interface AttentionProcessor {

  /** Returns the attended values, (batch * heads, queries, headDim), row b * heads + h. */
  NDArray attend(AttentionCall call);
}
