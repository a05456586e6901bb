package dev.vct.engine.scoring;

/** An LPIPS distance and its five per-layer terms (relu1 .. relu5), which sum to it. */
public record LpipsDistance(float distance, float[] perLayer) {}
