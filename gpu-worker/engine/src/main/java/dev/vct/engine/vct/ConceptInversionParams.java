package dev.vct.engine.vct;

import dev.vct.inputs.Knob;

/**
 * Knobs of stage A, concept inversion, with the official recipe's values as defaults ({@link
 * #defaults()}): 500 optimizer steps of 4 accumulated micro-steps, K = 3 tokens initialised from
 * "girl", AdamW (0.9, 0.999, 1e-8, weight decay 1e-2) at 5e-4 scaled by the accumulation, L1 latent
 * loss with weight 1, horizontal flips with p = 0.5, 512 px.
 *
 * @param steps optimizer steps ({@code --max_train_steps})
 * @param gradientAccumulation micro-steps per optimizer step
 * @param tokens K, the vectors of the concept placeholder
 * @param initializerWord row i starts as the embedding of token {@code ids[i * len(ids) / K]}
 * @param placeholder the placeholder text; its tokens are {@code placeholder_0 ...}
 * @param learningRate base learning rate
 * @param scaleLearningRate multiply it by the accumulation steps (official {@code scale_lr})
 * @param beta1 AdamW beta1
 * @param beta2 AdamW beta2
 * @param adamEpsilon AdamW epsilon
 * @param weightDecay AdamW decoupled weight decay
 * @param useL1 add the L1 loss between the predicted and the true clean latent
 * @param l1Weight its weight
 * @param flipProbability probability of a horizontal flip per micro-step
 * @param resolution the reference is resized to resolution x resolution
 * @param seed seed of the stage's random draws (flips, posterior noise, noise, timesteps)
 */
public record ConceptInversionParams(
    int steps,
    int gradientAccumulation,
    int tokens,
    String initializerWord,
    String placeholder,
    double learningRate,
    boolean scaleLearningRate,
    double beta1,
    double beta2,
    double adamEpsilon,
    double weightDecay,
    boolean useL1,
    double l1Weight,
    double flipProbability,
    int resolution,
    long seed) {

  /**
   * The knobs a client may set are checked against the {@link Knob} table, the bounds the API
   * documents; the rest (the official recipe's fixed values) only for sense.
   */
  public ConceptInversionParams {
    Knob.CONCEPT_STEPS.require(steps);
    requirePositive("gradientAccumulation", gradientAccumulation);
    Knob.CONCEPT_TOKENS.require(tokens);
    if (initializerWord == null) {
      throw new IllegalArgumentException("the initializer word must be given");
    }
    Knob.INITIALIZER_WORD.require(initializerWord);
    if (placeholder == null || placeholder.isBlank()) {
      throw new IllegalArgumentException("the placeholder must be non-blank text such as <s2>");
    }
    Knob.CONCEPT_LEARNING_RATE.require(
        scaleLearningRate ? learningRate * gradientAccumulation : learningRate);
    if (!(flipProbability >= 0 && flipProbability <= 1)) {
      throw new IllegalArgumentException(
          "flip probability must be in [0, 1], got " + flipProbability);
    }
    Knob.CONCEPT_L1_WEIGHT.require(l1Weight);
    Knob.RESOLUTION.require(resolution);
    Knob.SEED.require(seed);
  }

  /** The published recipe (README of the official code): 5e-4 scaled by 4 accumulated steps. */
  public static ConceptInversionParams defaults() {
    int accumulation = 4;
    return new ConceptInversionParams(
        Knob.CONCEPT_STEPS.defaultInt(),
        accumulation,
        Knob.CONCEPT_TOKENS.defaultInt(),
        Knob.INITIALIZER_WORD.defaultText(),
        "<s2>",
        Knob.CONCEPT_LEARNING_RATE.defaultNumber() / accumulation,
        true,
        0.9,
        0.999,
        1e-8,
        1e-2,
        true,
        Knob.CONCEPT_L1_WEIGHT.defaultNumber(),
        0.5,
        Knob.RESOLUTION.defaultInt(),
        0);
  }

  /** The learning rate AdamW uses. */
  public double effectiveLearningRate() {
    return scaleLearningRate ? learningRate * gradientAccumulation : learningRate;
  }

  public int microSteps() {
    return steps * gradientAccumulation;
  }

  /**
   * Latent tokens (batch x latent height x width) a concept-inversion UNet pass holds by default:
   * one 512 px micro-step's, 64 x 64. Backward keeps every activation of the pass, in proportion to
   * the tokens (resnets, feed-forwards) and to the batch x tokens^2 (the self-attention maps), so
   * under this bound a pass never needs more than one micro-step at 512 px (docs/bench-memory.md:
   * 3.6 GiB on the tiny model, 8.9 GiB at SD-1.5 size).
   */
  public static final int DEFAULT_BATCH_LATENT_TOKENS = 64 * 64;

  /**
   * Micro-steps per UNet pass unless the caller sets a batch: the whole accumulation window while
   * batch x latent tokens stays within {@link #DEFAULT_BATCH_LATENT_TOKENS} (all 4 up to 256 px, 32
   * x 32 latents), fewer above, 1 at 512 px. It depends on the params alone, so a resumed run gets
   * the batch of the run it resumes.
   */
  public int defaultBatch() {
    int side = resolution / VAE_DOWNSCALE;
    int batch = DEFAULT_BATCH_LATENT_TOKENS / (side * side);
    return Math.max(1, Math.min(batch, gradientAccumulation));
  }

  /** Pixels per latent cell along each side (SD's VAE). */
  private static final int VAE_DOWNSCALE = 8;

  public ConceptInversionParams withSteps(int steps) {
    return new ConceptInversionParams(
        steps,
        gradientAccumulation,
        tokens,
        initializerWord,
        placeholder,
        learningRate,
        scaleLearningRate,
        beta1,
        beta2,
        adamEpsilon,
        weightDecay,
        useL1,
        l1Weight,
        flipProbability,
        resolution,
        seed);
  }

  public ConceptInversionParams withTokens(int tokens) {
    return new ConceptInversionParams(
        steps,
        gradientAccumulation,
        tokens,
        initializerWord,
        placeholder,
        learningRate,
        scaleLearningRate,
        beta1,
        beta2,
        adamEpsilon,
        weightDecay,
        useL1,
        l1Weight,
        flipProbability,
        resolution,
        seed);
  }

  public ConceptInversionParams withInitializerWord(String word) {
    return new ConceptInversionParams(
        steps,
        gradientAccumulation,
        tokens,
        word,
        placeholder,
        learningRate,
        scaleLearningRate,
        beta1,
        beta2,
        adamEpsilon,
        weightDecay,
        useL1,
        l1Weight,
        flipProbability,
        resolution,
        seed);
  }

  public ConceptInversionParams withResolution(int resolution) {
    return new ConceptInversionParams(
        steps,
        gradientAccumulation,
        tokens,
        initializerWord,
        placeholder,
        learningRate,
        scaleLearningRate,
        beta1,
        beta2,
        adamEpsilon,
        weightDecay,
        useL1,
        l1Weight,
        flipProbability,
        resolution,
        seed);
  }

  public ConceptInversionParams withSeed(long seed) {
    return new ConceptInversionParams(
        steps,
        gradientAccumulation,
        tokens,
        initializerWord,
        placeholder,
        learningRate,
        scaleLearningRate,
        beta1,
        beta2,
        adamEpsilon,
        weightDecay,
        useL1,
        l1Weight,
        flipProbability,
        resolution,
        seed);
  }

  private static void requirePositive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    }
  }
}
