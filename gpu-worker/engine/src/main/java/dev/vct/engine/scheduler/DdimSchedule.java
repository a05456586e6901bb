package dev.vct.engine.scheduler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A DDIM scheduler set to a number of inference steps: the timesteps, the DDIM update (diffusers
 * {@code DDIMScheduler.step}) and the inversion steps of VCT / null-text inversion. Steps are
 * differentiable NDArray expressions; their coefficients are float32 like diffusers', held in
 * torch-owned 0-d arrays (scalar shortcuts can corrupt gradients in DJL).
 */
public final class DdimSchedule {

  private final DdimScheduler scheduler;
  private final int numInferenceSteps;
  private final int stepRatio;
  private final int[] timesteps;

  DdimSchedule(DdimScheduler scheduler, int numInferenceSteps) {
    int trainSteps = scheduler.config().numTrainTimesteps();
    if (numInferenceSteps < 1 || numInferenceSteps > trainSteps) {
      throw new IllegalArgumentException(
          "num_inference_steps must be in 1.."
              + trainSteps
              + " (the training timesteps), got "
              + numInferenceSteps);
    }
    this.scheduler = scheduler;
    this.numInferenceSteps = numInferenceSteps;
    this.stepRatio = trainSteps / numInferenceSteps;
    this.timesteps = timesteps(scheduler.config(), numInferenceSteps);
  }

  private static int[] timesteps(DdimSchedulerConfig config, int n) {
    int trainSteps = config.numTrainTimesteps();
    int[] out = new int[n];
    switch (config.timestepSpacing()) {
      case "leading" -> {
        // (np.arange(0, n) * (T // n)).round()[::-1] + steps_offset
        int ratio = trainSteps / n;
        for (int i = 0; i < n; i++) {
          out[i] = (n - 1 - i) * ratio + config.stepsOffset();
        }
      }
      case "trailing" -> {
        // np.round(np.arange(T, 0, -T / n)) - 1
        double ratio = (double) trainSteps / n;
        for (int i = 0; i < n; i++) {
          out[i] = (int) Math.rint(trainSteps - i * ratio) - 1;
        }
      }
      case "linspace" -> {
        // np.linspace(0, T - 1, n).round()[::-1]
        for (int i = 0; i < n; i++) {
          double v = n == 1 ? 0 : (double) (trainSteps - 1) * (n - 1 - i) / (n - 1);
          out[i] = (int) Math.rint(v);
        }
      }
      default -> throw new IllegalStateException("unknown spacing " + config.timestepSpacing());
    }
    return out;
  }

  public DdimScheduler scheduler() {
    return scheduler;
  }

  public int numInferenceSteps() {
    return numInferenceSteps;
  }

  /** num_train_timesteps // num_inference_steps: the distance between two timesteps. */
  public int stepRatio() {
    return stepRatio;
  }

  /** Inference timesteps, from the noisiest down. */
  public int[] timesteps() {
    return timesteps.clone();
  }

  /**
   * One DDIM step from t to t - ratio with eta = 0 (diffusers {@code DDIMScheduler.step}): x0 = (x
   * - √(1-ᾱ_t) ε) / √ᾱ_t; x_prev = √ᾱ_prev x0 + √(1-ᾱ_prev) ε.
   */
  public DdimStep step(NDArray modelOutput, int t, NDArray sample) {
    return step(modelOutput, t, sample, 0, null);
  }

  /**
   * One DDIM step with noise level eta: σ = eta √((1-ᾱ_prev)/(1-ᾱ_t) (1 - ᾱ_t/ᾱ_prev)), x_prev =
   * √ᾱ_prev x0 + √(1-ᾱ_prev-σ²) ε + σ z, with z = {@code noise} (required when eta > 0).
   */
  public DdimStep step(NDArray modelOutput, int t, NDArray sample, float eta, NDArray noise) {
    if (eta < 0) {
      throw new IllegalArgumentException("eta must be >= 0, got " + eta);
    }
    if (eta > 0 && noise == null) {
      throw new IllegalArgumentException("a DDIM step with eta > 0 needs a noise array");
    }
    int prevT = t - stepRatio;
    float alphaT = scheduler.alphaCumprod(checkTimestep(t));
    float alphaPrev = scheduler.alphaCumprod(prevT);
    float betaT = 1f - alphaT;
    NDManager m = sample.getManager();

    NDArray predOriginal;
    NDArray predEpsilon;
    switch (scheduler.config().predictionType()) {
      case "epsilon" -> {
        predOriginal =
            sample.sub(modelOutput.mul(scalar(m, sqrt(betaT)))).div(scalar(m, sqrt(alphaT)));
        predEpsilon = modelOutput;
      }
      case "sample" -> {
        predOriginal = modelOutput;
        predEpsilon =
            sample.sub(predOriginal.mul(scalar(m, sqrt(alphaT)))).div(scalar(m, sqrt(betaT)));
      }
      case "v_prediction" -> {
        predOriginal =
            sample.mul(scalar(m, sqrt(alphaT))).sub(modelOutput.mul(scalar(m, sqrt(betaT))));
        predEpsilon =
            modelOutput.mul(scalar(m, sqrt(alphaT))).add(sample.mul(scalar(m, sqrt(betaT))));
      }
      default -> throw new IllegalStateException(scheduler.config().predictionType());
    }
    if (scheduler.config().clipSample()) {
      double range = scheduler.config().clipSampleRange();
      predOriginal = predOriginal.clip(-range, range);
    }
    float variance = (1f - alphaPrev) / betaT * (1f - alphaT / alphaPrev);
    float std = eta * sqrt(variance);
    NDArray direction = predEpsilon.mul(scalar(m, sqrt(1f - alphaPrev - std * std)));
    NDArray prev = predOriginal.mul(scalar(m, sqrt(alphaPrev))).add(direction);
    if (eta > 0) {
      prev = prev.add(noise.mul(scalar(m, std)));
    }
    return new DdimStep(prev, predOriginal);
  }

  /**
   * VCT's DDIM inversion step ({@code Inversion.next_step}) from t - ratio up to t: "current" ᾱ is
   * ᾱ_{t-ratio} (the final ᾱ when t - ratio < 0), "next" ᾱ is ᾱ_t; x0 = (x - √(1-ᾱ_cur) ε) /
   * √ᾱ_cur; x_next = √ᾱ_t x0 + √(1-ᾱ_t) ε.
   */
  public NDArray nextStep(NDArray modelOutput, int t, NDArray sample) {
    int current = Math.min(t - stepRatio, scheduler.config().numTrainTimesteps() - 1);
    float alphaCurrent = scheduler.alphaCumprod(current);
    float alphaNext = scheduler.alphaCumprod(checkTimestep(t));
    return move(modelOutput, sample, alphaCurrent, alphaNext);
  }

  /**
   * VCT's {@code Inversion.prev_step}: the eta = 0 DDIM step from t to t - ratio without clipping,
   * as null-text inversion uses it inside its optimisation.
   */
  public NDArray prevStep(NDArray modelOutput, int t, NDArray sample) {
    float alphaT = scheduler.alphaCumprod(checkTimestep(t));
    float alphaPrev = scheduler.alphaCumprod(t - stepRatio);
    return move(modelOutput, sample, alphaT, alphaPrev);
  }

  /**
   * The four factors of {@link #prevStep} at {@code t}, {√(1−ᾱ_t), √ᾱ_t, √(1−ᾱ_prev), √ᾱ_prev}:
   * prev = (x − ε f0) / f1 · f3 + ε f2, for a caller that applies the step itself (in a script).
   */
  public float[] prevStepFactors(int t) {
    float alphaT = scheduler.alphaCumprod(checkTimestep(t));
    float alphaPrev = scheduler.alphaCumprod(t - stepRatio);
    return new float[] {sqrt(1f - alphaT), sqrt(alphaT), sqrt(1f - alphaPrev), sqrt(alphaPrev)};
  }

  /** x at ᾱ_from -> x at ᾱ_to along the predicted noise (deterministic DDIM). */
  private static NDArray move(NDArray eps, NDArray sample, float alphaFrom, float alphaTo) {
    NDManager m = sample.getManager();
    NDArray original =
        sample.sub(eps.mul(scalar(m, sqrt(1f - alphaFrom)))).div(scalar(m, sqrt(alphaFrom)));
    NDArray direction = eps.mul(scalar(m, sqrt(1f - alphaTo)));
    return original.mul(scalar(m, sqrt(alphaTo))).add(direction);
  }

  private int checkTimestep(int t) {
    if (t < 0 || t >= scheduler.config().numTrainTimesteps()) {
      throw new IllegalArgumentException(
          "timestep " + t + " is outside 0.." + (scheduler.config().numTrainTimesteps() - 1));
    }
    return t;
  }

  /** √x rounded to float32, as torch's {@code tensor ** 0.5} on a float32 scalar. */
  private static float sqrt(float x) {
    return (float) Math.sqrt(x);
  }

  private static NDArray scalar(NDManager m, float value) {
    return m.full(new Shape(), value, DataType.FLOAT32);
  }
}
