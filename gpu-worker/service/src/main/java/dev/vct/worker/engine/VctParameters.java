package dev.vct.worker.engine;

import dev.vct.engine.vct.ConceptInversionParams;
import dev.vct.engine.vct.ContentInversionParams;
import dev.vct.engine.vct.FusionParams;
import dev.vct.inputs.Knob;
import dev.vct.inputs.KnobValues;
import dev.vct.storage.event.StageRequest;

/**
 * The job's parameters (the gateway's snake_case knobs, stored on the job and sent in every stage
 * request) as the engine's stage parameters, read with the same {@link Knob} table the gateway
 * checked them with; a knob left out takes the table's default. An unknown knob, a value of the
 * wrong type or out of bounds is refused (IllegalArgumentException: bad input), never ignored.
 * Which stage reads which knob is {@link Knob#readBy}; VctParametersTest holds this class to it.
 */
final class VctParameters {
  private final KnobValues values;

  private VctParameters(KnobValues values) {
    this.values = values;
  }

  static VctParameters of(StageRequest request) {
    return new VctParameters(KnobValues.read(request.parameters()));
  }

  /** The working resolution: the source and reference are processed at this many pixels. */
  int resolution() {
    return values.integer(Knob.RESOLUTION);
  }

  /**
   * Content inversion; {@code guidance_scale} guides both the null-text fit and the latent update
   * (the official code updates with 7.5 whatever the guidance), so that fusion's content branch,
   * which denoises with the same guidance, follows the inverted path at every guidance.
   */
  ContentInversionParams content() {
    ContentInversionParams d = ContentInversionParams.defaults();
    double guidance = values.number(Knob.GUIDANCE_SCALE);
    return new ContentInversionParams(
        values.integer(Knob.DDIM_STEPS),
        values.integer(Knob.CONTENT_INNER_STEPS),
        guidance,
        guidance,
        values.number(Knob.CONTENT_LEARNING_RATE),
        values.number(Knob.CONTENT_EARLY_STOP_EPSILON),
        d.earlyStopSlope(),
        resolution());
  }

  /**
   * Concept inversion. {@code concept_learning_rate} is the rate AdamW applies, passed unscaled
   * (dividing it by the accumulation could round a tiny accepted rate to zero).
   */
  ConceptInversionParams concept(long seed) {
    ConceptInversionParams d = ConceptInversionParams.defaults();
    return new ConceptInversionParams(
        values.integer(Knob.CONCEPT_STEPS),
        d.gradientAccumulation(),
        values.integer(Knob.CONCEPT_TOKENS),
        values.text(Knob.INITIALIZER_WORD),
        d.placeholder(),
        values.number(Knob.CONCEPT_LEARNING_RATE),
        false,
        d.beta1(),
        d.beta2(),
        d.adamEpsilon(),
        d.weightDecay(),
        d.useL1(),
        values.number(Knob.CONCEPT_L1_WEIGHT),
        d.flipProbability(),
        resolution(),
        seed);
  }

  FusionParams fusion() {
    FusionParams d = FusionParams.defaults();
    return new FusionParams(
        values.number(Knob.GUIDANCE_SCALE),
        values.number(Knob.CROSS_INJECTION_RATIO),
        values.number(Knob.SELF_INJECTION_RATIO),
        d.selfMaxQueries(),
        d.equalizerValue(),
        values.flag(Knob.CORRECTED_TOKEN_INDEXING));
  }
}
