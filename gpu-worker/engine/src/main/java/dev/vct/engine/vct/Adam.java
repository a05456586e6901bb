package dev.vct.engine.vct;

/**
 * torch.optim.Adam / AdamW (single-tensor implementation, no amsgrad) over a float32 parameter held
 * in a Java array, with float32 arithmetic in torch's order. The state (two moments and the step
 * count) is plain arrays, so it checkpoints exactly.
 */
final class Adam {

  /**
   * @param lr learning rate
   * @param weightDecay decoupled weight decay (AdamW) when {@code decoupled}, else none is applied
   */
  record Settings(
      double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
    Settings {
      if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)) {
        throw new IllegalArgumentException(
            "invalid Adam settings: lr="
                + lr
                + " betas=("
                + beta1
                + ", "
                + beta2
                + ") eps="
                + eps
                + " (need lr > 0, 0 <= beta < 1, eps > 0)");
      }
      if (weightDecay < 0) {
        throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
      }
    }

    /** torch.optim.Adam(lr) with its defaults (betas 0.9/0.999, eps 1e-8, no decay). */
    static Settings adam(double lr) {
      return new Settings(lr, 0.9, 0.999, 1e-8, 0, false);
    }
  }

  private final Settings settings;
  private final float[] expAvg;
  private final float[] expAvgSq;
  private int step;

  Adam(Settings settings, int size) {
    this(settings, new float[size], new float[size], 0);
  }

  /** Continues from saved moments and step count. */
  Adam(Settings settings, float[] expAvg, float[] expAvgSq, int step) {
    if (expAvg.length != expAvgSq.length) {
      throw new IllegalArgumentException("Adam moments differ in size");
    }
    this.settings = settings;
    this.expAvg = expAvg.clone();
    this.expAvgSq = expAvgSq.clone();
    this.step = step;
  }

  int step() {
    return step;
  }

  float[] expAvg() {
    return expAvg.clone();
  }

  float[] expAvgSq() {
    return expAvgSq.clone();
  }

  /** One optimizer step: updates {@code param} in place from {@code grad}. */
  void update(float[] param, float[] grad) {
    if (param.length != expAvg.length || grad.length != expAvg.length) {
      throw new IllegalArgumentException(
          "Adam over "
              + expAvg.length
              + " values got a parameter of "
              + param.length
              + " and a gradient of "
              + grad.length);
    }
    step++;
    double lr = settings.lr();
    float decay = (float) (1 - lr * settings.weightDecay());
    float beta1 = (float) settings.beta1();
    float oneMinusBeta1 = (float) (1 - settings.beta1());
    float beta2 = (float) settings.beta2();
    float oneMinusBeta2 = (float) (1 - settings.beta2());
    double biasCorrection1 = 1 - Math.pow(settings.beta1(), step);
    double biasCorrection2 = 1 - Math.pow(settings.beta2(), step);
    float negStepSize = (float) -(lr / biasCorrection1);
    float biasCorrection2Sqrt = (float) Math.sqrt(biasCorrection2);
    float eps = (float) settings.eps();
    boolean decoupled = settings.decoupled() && settings.weightDecay() > 0;
    for (int i = 0; i < param.length; i++) {
      float p = param[i];
      if (decoupled) {
        p = p * decay; // param.mul_(1 - lr * weight_decay)
      }
      float g = grad[i];
      float m = expAvg[i] * beta1 + oneMinusBeta1 * g; // exp_avg.mul_(b1).add_(g, 1 - b1)
      float v = expAvgSq[i] * beta2 + oneMinusBeta2 * g * g; // addcmul_(g, g, 1 - b2)
      expAvg[i] = m;
      expAvgSq[i] = v;
      float denom = (float) Math.sqrt(v) / biasCorrection2Sqrt + eps;
      param[i] = p + negStepSize * (m / denom); // addcdiv_(exp_avg, denom, -step_size)
    }
  }
}
