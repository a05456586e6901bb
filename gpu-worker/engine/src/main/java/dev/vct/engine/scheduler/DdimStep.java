package dev.vct.engine.scheduler;

import ai.djl.ndarray.NDArray;

/**
 * Result of one DDIM step.
 *
 * @param prevSample x_{t-Δ}
 * @param predOriginalSample the x0 predicted at t
 */
public record DdimStep(NDArray prevSample, NDArray predOriginalSample) {}
