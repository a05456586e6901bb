package dev.vct.engine.vct;

/**
 * Knobs of stage B, content inversion (DDIM inversion, then null-text optimisation of a content
 * embedding per timestep), with the official values as defaults ({@link #defaults()}).
 *
 * @param steps DDIM steps N (timesteps 981, 961, ..., 1 for 50)
 * @param innerSteps at most this many Adam steps per timestep
 * @param guidance classifier-free guidance inside the optimisation
 * @param updateGuidance guidance of the step that advances the latent after each timestep's
 *     optimisation: the official code always uses 7.5 there (it does not pass its guidance on)
 * @param learningRate Adam's learning rate at timestep 0, decayed as lr · (1 − i/100)
 * @param earlyStopEpsilon stop a timestep's optimisation once loss < ε + i · earlyStopSlope
 * @param earlyStopSlope see above
 * @param resolution the source is centre-cropped and resized to resolution x resolution
 */
public record ContentInversionParams(
    int steps,
    int innerSteps,
    double guidance,
    double updateGuidance,
    double learningRate,
    double earlyStopEpsilon,
    double earlyStopSlope,
    int resolution) {

  /** The official code's value of updateGuidance, whatever guidance is. */
  public static final double OFFICIAL_UPDATE_GUIDANCE = 7.5;

  public ContentInversionParams {
    if (steps < 1 || steps > 1000) {
      throw new IllegalArgumentException("steps must be in 1..1000, got " + steps);
    }
    if (innerSteps < 1) {
      throw new IllegalArgumentException("inner steps must be >= 1, got " + innerSteps);
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
    }
    if (steps > 100) {
      // lr · (1 − i/100) would reach zero or turn negative
      throw new IllegalArgumentException(
          "the official learning-rate decay 1 - i/100 allows at most 100 steps, got " + steps);
    }
    if (resolution < 8 || resolution % 8 != 0) {
      throw new IllegalArgumentException(
          "resolution must be a positive multiple of 8, got " + resolution);
    }
  }

  public static ContentInversionParams defaults() {
    return new ContentInversionParams(50, 50, 7.5, OFFICIAL_UPDATE_GUIDANCE, 1e-2, 1e-5, 2e-5, 512);
  }

  /** Adam's learning rate at timestep index i: {@code 1e-2 * (1. - i / 100.)}. */
  public double learningRateAt(int i) {
    return learningRate * (1. - i / 100.);
  }

  /** The early-stop threshold at timestep index i: {@code epsilon + i * 2e-5}. */
  public double earlyStopThreshold(int i) {
    return earlyStopEpsilon + i * earlyStopSlope;
  }

  public ContentInversionParams withSteps(int steps, int innerSteps) {
    return new ContentInversionParams(
        steps,
        innerSteps,
        guidance,
        updateGuidance,
        learningRate,
        earlyStopEpsilon,
        earlyStopSlope,
        resolution);
  }

  public ContentInversionParams withGuidance(double guidance, double updateGuidance) {
    return new ContentInversionParams(
        steps,
        innerSteps,
        guidance,
        updateGuidance,
        learningRate,
        earlyStopEpsilon,
        earlyStopSlope,
        resolution);
  }

  public ContentInversionParams withResolution(int resolution) {
    return new ContentInversionParams(
        steps,
        innerSteps,
        guidance,
        updateGuidance,
        learningRate,
        earlyStopEpsilon,
        earlyStopSlope,
        resolution);
  }
}
