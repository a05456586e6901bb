package dev.vct.gateway.translation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.vct.storage.job.Job;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The method's knobs (VCT.md, "Knobs worth exposing"). Every field is optional; {@link
 * #withDefaults()} fills what the client left out with the published recipe's values. Stored on the
 * job as a JSON object with these snake_case names, which is what the workers read.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "TranslationParameters", description = "The method's knobs; all optional.")
public record TranslationParameters(
    @Schema(description = "Optimizer steps of the concept inversion", defaultValue = "500")
        @Min(1)
        @Max(5000)
        Integer conceptSteps,
    @Schema(description = "Number of learned concept tokens (K)", defaultValue = "3")
        @Min(1)
        @Max(16)
        Integer conceptTokens,
    @Schema(description = "Word whose embedding starts the concept tokens", defaultValue = "girl")
        @Pattern(regexp = "[a-z]{1,32}", message = "must be 1 to 32 lower-case letters a-z")
        String initializerWord,
    @Schema(
            description =
                "Concept inversion's effective AdamW learning rate (the official 5e-4 times 4"
                    + " accumulated micro-steps)",
            defaultValue = "0.002")
        @DecimalMin(value = "0", inclusive = false)
        @DecimalMax("1")
        Double conceptLearningRate,
    @Schema(description = "Weight of the L1 latent term of the concept loss", defaultValue = "1.0")
        @DecimalMin("0")
        @DecimalMax("100")
        Double conceptL1Weight,
    @Schema(description = "Content inversion base learning rate (Adam)", defaultValue = "0.01")
        @DecimalMin(value = "0", inclusive = false)
        @DecimalMax("1")
        Double contentLearningRate,
    @Schema(description = "Inner optimization steps per timestep", defaultValue = "50")
        @Min(1)
        @Max(1000)
        Integer contentInnerSteps,
    @Schema(description = "Early-stop loss threshold of the inner steps", defaultValue = "1e-5")
        @DecimalMin("0")
        @DecimalMax("1")
        Double contentEarlyStopEpsilon,
    @Schema(description = "Classifier-free guidance scale", defaultValue = "7.5")
        @DecimalMin("1")
        @DecimalMax("30")
        Double guidanceScale,
    @Schema(description = "Fraction of steps with self-attention injection", defaultValue = "0.9")
        @DecimalMin("0")
        @DecimalMax("1")
        Double selfInjectionRatio,
    @Schema(description = "Fraction of steps with cross-attention injection", defaultValue = "0.2")
        @DecimalMin("0")
        @DecimalMax("1")
        Double crossInjectionRatio,
    @Schema(description = "DDIM steps of inversion and fusion", defaultValue = "50")
        @Min(1)
        @Max(1000)
        Integer ddimSteps,
    @Schema(description = "Working resolution in pixels, a multiple of 8", defaultValue = "512")
        @Min(32)
        @Max(1024)
        Integer resolution,
    @Schema(description = "Random seed; a random one is chosen and reported when absent")
        @Min(0)
        @Max(MAX_SEED)
        Long seed,
    @Schema(
            description =
                "Put the cross-attention equalizer on the concept tokens rather than the official"
                    + " code's off-by-one positions",
            defaultValue = "false")
        Boolean correctedTokenIndexing,
    @Schema(
            description =
                "Place among this tenant's own jobs in the dispatch queue, higher first; never"
                    + " ahead of other tenants' jobs, and no effect on the result",
            defaultValue = "0")
        @Min(Job.MIN_PRIORITY)
        @Max(Job.MAX_PRIORITY)
        Integer priority) {

  /** Largest seed: the largest integer a JavaScript client reads exactly (2^53 - 1). */
  public static final long MAX_SEED = 9007199254740991L;

  public static final TranslationParameters DEFAULTS =
      new TranslationParameters(
          500, 3, "girl", 0.002, 1.0, 0.01, 50, 1e-5, 7.5, 0.9, 0.2, 50, 512, null, false, 0);

  /** These parameters with every absent knob (except the seed) set to its default. */
  public TranslationParameters withDefaults() {
    TranslationParameters d = DEFAULTS;
    return new TranslationParameters(
        conceptSteps != null ? conceptSteps : d.conceptSteps,
        conceptTokens != null ? conceptTokens : d.conceptTokens,
        initializerWord != null ? initializerWord : d.initializerWord,
        conceptLearningRate != null ? conceptLearningRate : d.conceptLearningRate,
        conceptL1Weight != null ? conceptL1Weight : d.conceptL1Weight,
        contentLearningRate != null ? contentLearningRate : d.contentLearningRate,
        contentInnerSteps != null ? contentInnerSteps : d.contentInnerSteps,
        contentEarlyStopEpsilon != null ? contentEarlyStopEpsilon : d.contentEarlyStopEpsilon,
        guidanceScale != null ? guidanceScale : d.guidanceScale,
        selfInjectionRatio != null ? selfInjectionRatio : d.selfInjectionRatio,
        crossInjectionRatio != null ? crossInjectionRatio : d.crossInjectionRatio,
        ddimSteps != null ? ddimSteps : d.ddimSteps,
        resolution != null ? resolution : d.resolution,
        seed,
        correctedTokenIndexing != null ? correctedTokenIndexing : d.correctedTokenIndexing,
        priority != null ? priority : d.priority);
  }
}
