package dev.vct.engine.scheduler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The training noise schedule of a DDIM scheduler (betas, ᾱ) as diffusers computes it in float32
 * torch; {@link #setTimesteps(int)} fixes an inference schedule. Immutable.
 */
public final class DdimScheduler {

  private final DdimSchedulerConfig config;
  private final float[] betas; // (num_train_timesteps)
  private final float[] alphasCumprod; // (num_train_timesteps)
  private final float finalAlphaCumprod;

  public DdimScheduler(DdimSchedulerConfig config) {
    this.config = config;
    this.betas = betas(config);
    this.alphasCumprod = new float[betas.length];
    // torch.cumprod on the CPU accumulates in double and rounds each output to float32
    double product = 1;
    for (int t = 0; t < betas.length; t++) {
      product *= (1f - betas[t]);
      alphasCumprod[t] = (float) product;
    }
    this.finalAlphaCumprod = config.setAlphaToOne() ? 1f : alphasCumprod[0];
  }

  private static float[] betas(DdimSchedulerConfig config) {
    if (config.trainedBetas() != null) {
      return config.trainedBetas();
    }
    int n = config.numTrainTimesteps();
    if (config.betaSchedule().equals("scaled_linear")) {
      // torch.linspace(beta_start**0.5, beta_end**0.5, n, dtype=float32) ** 2
      float[] roots =
          linspace((float) Math.sqrt(config.betaStart()), (float) Math.sqrt(config.betaEnd()), n);
      for (int i = 0; i < n; i++) {
        roots[i] = roots[i] * roots[i];
      }
      return roots;
    }
    return linspace((float) config.betaStart(), (float) config.betaEnd(), n);
  }

  /** torch.linspace in float32: the first half counts up from start, the second down from end. */
  static float[] linspace(float start, float end, int steps) {
    float[] out = new float[steps];
    if (steps == 1) {
      out[0] = start;
      return out;
    }
    float step = (end - start) / (steps - 1);
    int halfway = steps / 2;
    for (int i = 0; i < steps; i++) {
      out[i] = i < halfway ? start + step * i : end - step * (steps - 1 - i);
    }
    return out;
  }

  public DdimSchedulerConfig config() {
    return config;
  }

  /** β_t for every training timestep. */
  public float[] betas() {
    return betas.clone();
  }

  /** ᾱ_t for every training timestep. */
  public float[] alphasCumprod() {
    return alphasCumprod.clone();
  }

  /** ᾱ_t, or the final ᾱ (1 or ᾱ_0, per set_alpha_to_one) for a negative t. */
  public float alphaCumprod(int t) {
    if (t >= alphasCumprod.length) {
      throw new IllegalArgumentException(
          "timestep " + t + " is beyond the " + alphasCumprod.length + " training timesteps");
    }
    return t >= 0 ? alphasCumprod[t] : finalAlphaCumprod;
  }

  /** ᾱ used before the first training step (1 or ᾱ_0). */
  public float finalAlphaCumprod() {
    return finalAlphaCumprod;
  }

  /** Forward diffusion to timestep t: x_t = √ᾱ_t x0 + √(1-ᾱ_t) ε (diffusers add_noise). */
  public NDArray addNoise(NDArray original, NDArray noise, int t) {
    if (t < 0 || t >= alphasCumprod.length) {
      throw new IllegalArgumentException(
          "timestep " + t + " is outside 0.." + (alphasCumprod.length - 1));
    }
    float alpha = alphasCumprod[t];
    var m = original.getManager();
    NDArray signal = m.full(new Shape(), (float) Math.sqrt(alpha), DataType.FLOAT32);
    NDArray noiseScale = m.full(new Shape(), (float) Math.sqrt(1f - alpha), DataType.FLOAT32);
    return original.mul(signal).add(noise.mul(noiseScale));
  }

  /** An inference schedule of {@code numInferenceSteps} steps (diffusers' set_timesteps). */
  public DdimSchedule setTimesteps(int numInferenceSteps) {
    return new DdimSchedule(this, numInferenceSteps);
  }
}
