package dev.vct.inputs;

import static dev.vct.inputs.KnobDomain.flag;
import static dev.vct.inputs.KnobDomain.integer;
import static dev.vct.inputs.KnobDomain.number;
import static dev.vct.inputs.KnobDomain.numberAbove;
import static dev.vct.inputs.KnobDomain.text;
import static dev.vct.inputs.KnobStage.CONCEPT_INVERSION;
import static dev.vct.inputs.KnobStage.CONTENT_INVERSION;
import static dev.vct.inputs.KnobStage.FUSION;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The method's knobs (VCT.md, "Knobs worth exposing"): the one table of their names, JSON types,
 * defaults (the published recipe), bounds, the stages that read them and their descriptions. The
 * gateway validates, fills defaults and documents the API from it; the worker reads a job's
 * parameters with it ({@link KnobValues}); the engine's stage parameters check their values against
 * it, so a value the API accepts is one the engine runs. The order is the API's: the gateway's
 * request hash (idempotency) serializes the knobs in it.
 */
public enum Knob {
  CONCEPT_STEPS(
      integer(500L, 1, 5000),
      "Optimizer steps of the concept inversion (4 accumulated micro-steps each)",
      CONCEPT_INVERSION),
  CONCEPT_TOKENS(integer(3L, 1, 16), "Number of learned concept tokens (K)", CONCEPT_INVERSION),
  INITIALIZER_WORD(
      text("girl", "[a-z]{1,32}", "1 to 32 lower-case letters a-z"),
      "Word whose embedding starts the concept tokens",
      CONCEPT_INVERSION),
  CONCEPT_LEARNING_RATE(
      numberAbove(0.002, 0, 1),
      "Concept inversion's effective AdamW learning rate (the official 5e-4 times 4 accumulated"
          + " micro-steps)",
      CONCEPT_INVERSION),
  CONCEPT_L1_WEIGHT(
      number(1.0, 0, 100), "Weight of the L1 latent term of the concept loss", CONCEPT_INVERSION),
  CONTENT_LEARNING_RATE(
      numberAbove(0.01, 0, 1),
      "Content inversion's base Adam learning rate, decayed as lr * (1 - i/100) over the DDIM"
          + " steps",
      CONTENT_INVERSION),
  CONTENT_INNER_STEPS(
      integer(50L, 1, 1000),
      "Content inversion's optimization steps per timestep at most",
      CONTENT_INVERSION),
  CONTENT_EARLY_STOP_EPSILON(
      number(1e-5, 0, 1),
      "Content inversion stops a timestep's steps once its loss is below this (plus 2e-5 per"
          + " timestep)",
      CONTENT_INVERSION),
  GUIDANCE_SCALE(
      number(7.5, 1, 30),
      "Classifier-free guidance scale of content inversion (its fit and its latent update) and of"
          + " fusion",
      CONTENT_INVERSION,
      FUSION),
  SELF_INJECTION_RATIO(
      number(0.9, 0, 1), "Fraction of fusion's steps with self-attention injection", FUSION),
  CROSS_INJECTION_RATIO(
      number(0.2, 0, 1), "Fraction of fusion's steps with cross-attention injection", FUSION),
  /** At most 100: content inversion's learning rate decays as lr * (1 - i/100). */
  DDIM_STEPS(
      integer(50L, 1, 100),
      "DDIM steps of inversion and fusion; at most 100, as content inversion's learning rate"
          + " decays to zero at step 100",
      CONTENT_INVERSION),
  RESOLUTION(
      integer(512L, 32, 1024).multipleOf(8),
      "Working resolution in pixels: both images are processed at this many pixels square",
      CONTENT_INVERSION,
      CONCEPT_INVERSION),
  /**
   * No default: the gateway draws one when absent. It is stored among the knobs only when the
   * client chose it: a chosen seed promises a reproducible result, so the concept inversion it
   * drives is cached per seed; a drawn seed promises nothing, and the learned concept is shared.
   */
  SEED(
      integer(null, 0, Knob.MAX_SEED),
      "Random seed of the concept inversion's draws; a random one is chosen and reported when"
          + " absent",
      CONCEPT_INVERSION),
  CORRECTED_TOKEN_INDEXING(
      flag(false),
      "Put the cross-attention equalizer on the concept tokens rather than the official code's"
          + " off-by-one positions",
      FUSION),
  /**
   * No stage reads it: the orchestrator's dispatcher orders a tenant's own waiting stages by it
   * (the job's priority column holds a copy), so it changes no result and no cache key.
   */
  PRIORITY(
      integer(0L, -10, 10),
      "Place among the tenant's own jobs in the dispatch queue, higher first; never ahead of"
          + " another tenant's jobs, and no effect on the result");

  /** Largest seed: the largest integer a JavaScript client reads exactly (2^53 - 1). */
  public static final long MAX_SEED = 9007199254740991L;

  private static final Map<String, Knob> BY_NAME =
      Arrays.stream(values()).collect(Collectors.toMap(Knob::jsonName, Function.identity()));

  private final KnobDomain domain;
  private final String description;
  private final Set<KnobStage> readBy;

  /** A knob no stage reads. */
  Knob(KnobDomain domain, String description) {
    this.domain = domain;
    this.description = description;
    this.readBy = Set.of();
  }

  Knob(KnobDomain domain, String description, KnobStage first, KnobStage... more) {
    this.domain = domain;
    this.description = description;
    this.readBy = Set.copyOf(EnumSet.of(first, more));
  }

  /** The snake_case name clients and job parameters use. */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public KnobType type() {
    return domain.type();
  }

  public KnobDomain domain() {
    return domain;
  }

  public String description() {
    return description;
  }

  /** The stages whose output depends on this knob. */
  public Set<KnobStage> readBy() {
    return readBy;
  }

  public static Optional<Knob> byName(String jsonName) {
    return Optional.ofNullable(BY_NAME.get(jsonName));
  }

  /**
   * Whether the knob named {@code jsonName} may change {@code stage}'s output; a name the table
   * does not know may change anything.
   */
  public static boolean mayAffect(String jsonName, KnobStage stage) {
    return byName(jsonName).map(k -> k.readBy.contains(stage)).orElse(true);
  }

  /**
   * The value as the table's Java type for this knob (Long, Double, String, Boolean).
   *
   * @throws InvalidKnobException saying what is allowed, if the value is not
   */
  public Object check(Object value) {
    return domain.check(jsonName(), value);
  }

  /** The engine's check of an integer knob: the value, if the table allows it. */
  public int require(int value) {
    check(Long.valueOf(value));
    return value;
  }

  public long require(long value) {
    check(Long.valueOf(value));
    return value;
  }

  public double require(double value) {
    if (Double.isNaN(value)) {
      throw new InvalidKnobException(
          InvalidKnobException.Problem.OUT_OF_BOUNDS,
          jsonName(),
          jsonName() + " must be " + domain.describe() + " (got NaN)");
    }
    check(Double.valueOf(value));
    return value;
  }

  public String require(String value) {
    check(value);
    return value;
  }

  public int defaultInt() {
    return Math.toIntExact((Long) defaulted());
  }

  public double defaultNumber() {
    return (Double) defaulted();
  }

  public String defaultText() {
    return (String) defaulted();
  }

  public boolean defaultFlag() {
    return (Boolean) defaulted();
  }

  private Object defaulted() {
    return domain
        .defaultValueIfAny()
        .orElseThrow(() -> new IllegalStateException(jsonName() + " has no default"));
  }
}
