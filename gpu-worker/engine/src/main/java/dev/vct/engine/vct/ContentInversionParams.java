package dev.vct.engine.vct;

import dev.vct.inputs.Knob;

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

  /**
   * Checked against the {@link Knob} table, the bounds the API documents. Its {@code ddim_steps}
   * stops at 100: the official learning-rate decay lr · (1 − i/100) would reach zero or turn
   * negative beyond.
   */
  public ContentInversionParams {
    Knob.DDIM_STEPS.require(steps);
    Knob.CONTENT_INNER_STEPS.require(innerSteps);
    Knob.GUIDANCE_SCALE.require(guidance);
    Knob.GUIDANCE_SCALE.require(updateGuidance);
    Knob.CONTENT_LEARNING_RATE.require(learningRate);
    Knob.CONTENT_EARLY_STOP_EPSILON.require(earlyStopEpsilon);
    Knob.RESOLUTION.require(resolution);
  }

  public static ContentInversionParams defaults() {
    return new ContentInversionParams(
        Knob.DDIM_STEPS.defaultInt(),
        Knob.CONTENT_INNER_STEPS.defaultInt(),
        Knob.GUIDANCE_SCALE.defaultNumber(),
        OFFICIAL_UPDATE_GUIDANCE,
        Knob.CONTENT_LEARNING_RATE.defaultNumber(),
        Knob.CONTENT_EARLY_STOP_EPSILON.defaultNumber(),
        2e-5,
        Knob.RESOLUTION.defaultInt());
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
