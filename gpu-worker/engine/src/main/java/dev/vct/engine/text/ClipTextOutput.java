package dev.vct.engine.text;

import ai.djl.ndarray.NDArray;

/**
 * What {@code CLIPTextModel} returns.
 *
 * @param lastHiddenState (batch, seq, hidden), after the final layer norm: SD's conditioning
 * @param poolerOutput (batch, hidden), the row of the end-of-text token
 */
public record ClipTextOutput(NDArray lastHiddenState, NDArray poolerOutput) {}
