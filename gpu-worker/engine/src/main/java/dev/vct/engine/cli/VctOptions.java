package dev.vct.engine.cli;

import dev.vct.engine.vct.ConceptInversionParams;
import dev.vct.engine.vct.ContentInversionParams;
import dev.vct.engine.vct.FusionParams;
import java.util.Set;

/** The VCT knobs shared by {@code translate} and {@code bench vct}, with the official defaults. */
final class VctOptions {

  static final Set<String> VALUED =
      Set.of(
          "seed",
          "steps",
          "concept-steps",
          "concept-batch",
          "inner-steps",
          "tokens",
          "init-word",
          "guidance",
          "self-ratio",
          "cross-ratio",
          "resolution");
  static final Set<String> SWITCHES = Set.of("fix-equalizer");

  static final String HELP =
      """
          --seed N            seed of concept inversion's random draws (default 0)
          --steps N           DDIM steps of content inversion and fusion (default 50)
          --concept-steps N   concept-inversion optimizer steps, 4 micro-steps each (default 500)
          --concept-batch N   micro-steps per UNet pass of concept inversion: the 4 of a step run
                              in chunks of N (default by the resolution: 4, one pass per step,
                              up to 256 px, 1 at 512 px; fewer use less memory, same result
                              within float rounding)
          --inner-steps N     content-embedding Adam steps per timestep at most (default 50)
          --tokens K          vectors of the concept placeholder (default 3)
          --init-word W       word whose embedding starts the concept vectors (default girl)
          --guidance G        classifier-free guidance of content inversion (its fit and its
                              latent update) and of fusion (default 7.5)
          --self-ratio R      self-attention replaced for steps < int(R * steps) (default 0.9)
          --cross-ratio R     cross-attention refined for steps < int(R * (steps + 1)) (default 0.2)
          --resolution PX     images are processed at PX x PX, a multiple of 8 (default 512)
          --fix-equalizer     reweight the concept tokens themselves (the official code's index
                              quirk reweights the start token and the first K-1 concept tokens)
      """;

  private final Args args;

  VctOptions(Args args) {
    this.args = args;
  }

  int resolution() {
    return args.integer("resolution", 512);
  }

  ConceptInversionParams concept() {
    ConceptInversionParams d = ConceptInversionParams.defaults();
    return d.withSteps(args.integer("concept-steps", d.steps()))
        .withTokens(args.integer("tokens", d.tokens()))
        .withInitializerWord(args.get("init-word", d.initializerWord()))
        .withResolution(resolution())
        .withSeed(args.longValue("seed", d.seed()));
  }

  /**
   * Micro-steps per UNet pass of concept inversion (default: {@link
   * ConceptInversionParams#defaultBatch()}, by the resolution).
   */
  int conceptBatch(ConceptInversionParams concept) {
    int batch = args.integer("concept-batch", concept.defaultBatch());
    if (batch < 1) {
      throw new UsageException("option '--concept-batch' needs a number >= 1, got " + batch);
    }
    return batch;
  }

  ContentInversionParams content() {
    ContentInversionParams d = ContentInversionParams.defaults();
    // --guidance guides the latent update too (the official code uses 7.5 there whatever the
    // guidance), so that fusion's content branch follows the inverted path at every guidance
    double guidance = number("guidance", d.guidance());
    return d.withSteps(
            args.integer("steps", d.steps()), args.integer("inner-steps", d.innerSteps()))
        .withGuidance(guidance, guidance)
        .withResolution(resolution());
  }

  FusionParams fusion() {
    FusionParams d = FusionParams.defaults();
    return d.withGuidance(number("guidance", d.guidance()))
        .withRatios(number("cross-ratio", d.crossRatio()), number("self-ratio", d.selfRatio()))
        .withFixedEqualizer(args.has("fix-equalizer"));
  }

  private double number(String name, double defaultValue) {
    String v = args.get(name, null);
    if (v == null) {
      return defaultValue;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new UsageException("option '--" + name + "' needs a number, got '" + v + "'");
    }
  }

  /** Turns a parameter record's validation error into a usage error. */
  static <T> T valid(java.util.function.Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }
}
