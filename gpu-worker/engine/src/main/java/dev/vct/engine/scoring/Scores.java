package dev.vct.engine.scoring;

/**
 * The two numbers the VCT paper reports for a translation, and the files that produced them.
 *
 * @param lpips LPIPS (AlexNet, v0.1) between source and result; lower = closer to the source
 * @param brisque BRISQUE of the result (OpenCV, LIVE model); lower = better quality
 */
public record Scores(
    double lpips,
    double brisque,
    WeightFile lpipsWeights,
    WeightFile brisqueModel,
    WeightFile brisqueRange) {}
