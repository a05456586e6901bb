package dev.vct.engine.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A diffusers {@code DDIMScheduler} config ({@code scheduler_config.json}), bound to its keys. Keys
 * missing from the file take diffusers' defaults; options this engine does not implement
 * (thresholding, zero-SNR rescaling) are rejected rather than ignored.
 *
 * @param numTrainTimesteps {@code num_train_timesteps}
 * @param betaStart {@code beta_start}
 * @param betaEnd {@code beta_end}
 * @param betaSchedule {@code beta_schedule}: {@code scaled_linear} (SD) or {@code linear}
 * @param trainedBetas {@code trained_betas}: explicit betas instead of a schedule, or null
 * @param clipSample {@code clip_sample}: clamp the predicted x0 to ±clipSampleRange
 * @param clipSampleRange {@code clip_sample_range}
 * @param setAlphaToOne {@code set_alpha_to_one}: ᾱ before the first step is 1 (else ᾱ_0)
 * @param stepsOffset {@code steps_offset}: added to every inference timestep
 * @param predictionType {@code prediction_type}: epsilon, v_prediction or sample
 * @param timestepSpacing {@code timestep_spacing}: leading, trailing or linspace
 */
public record DdimSchedulerConfig(
    int numTrainTimesteps,
    double betaStart,
    double betaEnd,
    String betaSchedule,
    float[] trainedBetas,
    boolean clipSample,
    double clipSampleRange,
    boolean setAlphaToOne,
    int stepsOffset,
    String predictionType,
    String timestepSpacing) {

  private static final List<String> SCHEDULES = List.of("scaled_linear", "linear");
  private static final List<String> PREDICTIONS = List.of("epsilon", "v_prediction", "sample");
  private static final List<String> SPACINGS = List.of("leading", "trailing", "linspace");

  public DdimSchedulerConfig {
    if (numTrainTimesteps < 1) {
      throw invalid("num_train_timesteps must be >= 1, got " + numTrainTimesteps);
    }
    if (trainedBetas == null) {
      if (!SCHEDULES.contains(betaSchedule)) {
        throw invalid(
            "beta_schedule '" + betaSchedule + "' is not supported (use one of " + SCHEDULES + ")");
      }
      if (!(betaStart > 0 && betaStart < betaEnd && betaEnd < 1)) {
        throw invalid(
            "need 0 < beta_start < beta_end < 1, got beta_start="
                + betaStart
                + " beta_end="
                + betaEnd);
      }
    } else {
      trainedBetas = trainedBetas.clone();
      if (trainedBetas.length != numTrainTimesteps) {
        throw invalid(
            "trained_betas has "
                + trainedBetas.length
                + " values but num_train_timesteps is "
                + numTrainTimesteps);
      }
    }
    if (stepsOffset < 0 || stepsOffset >= numTrainTimesteps) {
      throw invalid(
          "steps_offset must be in 0.." + (numTrainTimesteps - 1) + ", got " + stepsOffset);
    }
    if (!PREDICTIONS.contains(predictionType)) {
      throw invalid(
          "prediction_type '"
              + predictionType
              + "' is not supported (use one of "
              + PREDICTIONS
              + ")");
    }
    if (!SPACINGS.contains(timestepSpacing)) {
      throw invalid(
          "timestep_spacing '"
              + timestepSpacing
              + "' is not supported (use one of "
              + SPACINGS
              + ")");
    }
    if (clipSample && !(clipSampleRange > 0)) {
      throw invalid("clip_sample_range must be > 0, got " + clipSampleRange);
    }
  }

  /** The Stable Diffusion 1.x schedule (scaled_linear 0.00085..0.012, 1000 steps, offset 1). */
  public static DdimSchedulerConfig stableDiffusion() {
    return new DdimSchedulerConfig(
        1000, 0.00085, 0.012, "scaled_linear", null, false, 1.0, false, 1, "epsilon", "leading");
  }

  /** Reads {@code scheduler_config.json} (or a fixture's {@code config.json}). */
  public static DdimSchedulerConfig read(Path file) {
    try {
      return fromJson(new ObjectMapper().readTree(file.toFile()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read scheduler config " + file, e);
    }
  }

  /** Binds a diffusers scheduler config; absent keys take diffusers' DDIMScheduler defaults. */
  public static DdimSchedulerConfig fromJson(JsonNode json) {
    if (json.path("thresholding").asBoolean(false)) {
      throw invalid("thresholding=true is not supported by this DDIM scheduler");
    }
    if (json.path("rescale_betas_zero_snr").asBoolean(false)) {
      throw invalid("rescale_betas_zero_snr=true is not supported by this DDIM scheduler");
    }
    JsonNode trained = json.path("trained_betas");
    float[] betas = null;
    if (trained.isArray()) {
      betas = new float[trained.size()];
      for (int i = 0; i < betas.length; i++) {
        betas[i] = (float) trained.get(i).asDouble();
      }
    }
    return new DdimSchedulerConfig(
        json.path("num_train_timesteps").asInt(1000),
        json.path("beta_start").asDouble(0.0001),
        json.path("beta_end").asDouble(0.02),
        json.path("beta_schedule").asText("linear"),
        betas,
        json.path("clip_sample").asBoolean(true),
        json.path("clip_sample_range").asDouble(1.0),
        json.path("set_alpha_to_one").asBoolean(true),
        json.path("steps_offset").asInt(0),
        json.path("prediction_type").asText("epsilon"),
        json.path("timestep_spacing").asText("leading"));
  }

  /**
   * The same config with another steps_offset: diffusers' StableDiffusionPipeline rewrites a
   * scheduler's steps_offset to 1, which is how VCT's stage 2 runs.
   */
  public DdimSchedulerConfig withStepsOffset(int offset) {
    return new DdimSchedulerConfig(
        numTrainTimesteps,
        betaStart,
        betaEnd,
        betaSchedule,
        trainedBetas,
        clipSample,
        clipSampleRange,
        setAlphaToOne,
        offset,
        predictionType,
        timestepSpacing);
  }

  @Override
  public float[] trainedBetas() {
    return trainedBetas == null ? null : trainedBetas.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DdimSchedulerConfig c
        && numTrainTimesteps == c.numTrainTimesteps
        && betaStart == c.betaStart
        && betaEnd == c.betaEnd
        && betaSchedule.equals(c.betaSchedule)
        && Arrays.equals(trainedBetas, c.trainedBetas)
        && clipSample == c.clipSample
        && clipSampleRange == c.clipSampleRange
        && setAlphaToOne == c.setAlphaToOne
        && stepsOffset == c.stepsOffset
        && predictionType.equals(c.predictionType)
        && timestepSpacing.equals(c.timestepSpacing);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        numTrainTimesteps, betaStart, betaEnd, betaSchedule, stepsOffset, timestepSpacing);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "DDIM(%s %g..%g, %d steps, offset %d, %s spacing, %s, set_alpha_to_one=%b)",
        trainedBetas == null ? betaSchedule : "trained betas",
        betaStart,
        betaEnd,
        numTrainTimesteps,
        stepsOffset,
        timestepSpacing,
        predictionType,
        setAlphaToOne);
  }

  private static IllegalArgumentException invalid(String message) {
    return new IllegalArgumentException("invalid DDIM scheduler config: " + message);
  }
}
