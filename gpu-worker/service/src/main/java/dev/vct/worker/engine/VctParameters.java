package dev.vct.worker.engine;

import dev.vct.engine.vct.ConceptInversionParams;
import dev.vct.engine.vct.ContentInversionParams;
import dev.vct.engine.vct.FusionParams;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.job.JobParameter;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The job's parameters (the gateway's snake_case knobs, stored on the job and sent in every stage
 * request) as the engine's stage parameters; a knob left out keeps the engine's official default.
 * An unknown knob or a value of the wrong type is refused (IllegalArgumentException: bad input),
 * never ignored. Which stage reads which knob is stated in {@link JobParameter}, the orchestrator's
 * cache key; VctParametersTest holds this class to it.
 */
final class VctParameters {
  /** Every knob a job may carry. */
  static final Set<String> KNOWN =
      Arrays.stream(JobParameter.values()).map(JobParameter::code).collect(Collectors.toSet());

  private final Map<String, Object> values;

  private VctParameters(Map<String, Object> values) {
    Set<String> unknown = new TreeSet<>(values.keySet());
    unknown.removeAll(KNOWN);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          "unknown job parameters " + unknown + "; the engine knows " + new TreeSet<>(KNOWN));
    }
    this.values = values;
  }

  static VctParameters of(StageRequest request) {
    return new VctParameters(request.parameters());
  }

  /** The working resolution: the source and reference are processed at this many pixels. */
  int resolution() {
    return integer("resolution", ContentInversionParams.defaults().resolution());
  }

  /**
   * Content inversion; {@code guidance_scale} guides both the null-text fit and the latent update
   * (the official code updates with 7.5 whatever the guidance), so that fusion's content branch,
   * which denoises with the same guidance, follows the inverted path at every guidance.
   */
  ContentInversionParams content() {
    ContentInversionParams d = ContentInversionParams.defaults();
    double guidance = number("guidance_scale", d.guidance());
    return new ContentInversionParams(
        integer("ddim_steps", d.steps()),
        integer("content_inner_steps", d.innerSteps()),
        guidance,
        guidance,
        number("content_learning_rate", d.learningRate()),
        number("content_early_stop_epsilon", d.earlyStopEpsilon()),
        d.earlyStopSlope(),
        resolution());
  }

  /** Concept inversion; {@code concept_learning_rate} is the rate AdamW applies (scaled one). */
  ConceptInversionParams concept(long seed) {
    ConceptInversionParams d = ConceptInversionParams.defaults();
    double scale = d.scaleLearningRate() ? d.gradientAccumulation() : 1;
    return new ConceptInversionParams(
        integer("concept_steps", d.steps()),
        d.gradientAccumulation(),
        integer("concept_tokens", d.tokens()),
        text("initializer_word", d.initializerWord()),
        d.placeholder(),
        number("concept_learning_rate", d.effectiveLearningRate()) / scale,
        d.scaleLearningRate(),
        d.beta1(),
        d.beta2(),
        d.adamEpsilon(),
        d.weightDecay(),
        d.useL1(),
        number("concept_l1_weight", d.l1Weight()),
        d.flipProbability(),
        resolution(),
        seed);
  }

  FusionParams fusion() {
    FusionParams d = FusionParams.defaults();
    return new FusionParams(
        number("guidance_scale", d.guidance()),
        number("cross_injection_ratio", d.crossRatio()),
        number("self_injection_ratio", d.selfRatio()),
        d.selfMaxQueries(),
        d.equalizerValue(),
        flag("corrected_token_indexing", d.fixEqualizer()));
  }

  private int integer(String name, int fallback) {
    Object value = values.get(name);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.intValue();
    }
    throw new IllegalArgumentException("job parameter " + name + " must be an integer: " + value);
  }

  private double number(String name, double fallback) {
    Object value = values.get(name);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException("job parameter " + name + " must be a number: " + value);
  }

  private String text(String name, String fallback) {
    Object value = values.get(name);
    if (value == null) {
      return fallback;
    }
    if (value instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException("job parameter " + name + " must be text: " + value);
  }

  private boolean flag(String name, boolean fallback) {
    Object value = values.get(name);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    throw new IllegalArgumentException(
        "job parameter " + name + " must be true or false: " + value);
  }
}
