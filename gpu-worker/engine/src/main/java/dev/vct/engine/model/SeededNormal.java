package dev.vct.engine.model;

/**
 * Reproducible standard normal numbers: SplitMix64 bits and the Box-Muller transform in StrictMath,
 * so a seed gives the same values on every JVM and machine (java.util.Random's Gaussian algorithm
 * is not specified across versions).
 */
final class SeededNormal {

  private long state;
  private double spare = Double.NaN;

  SeededNormal(long seed) {
    this.state = seed;
  }

  private long nextLong() {
    long z = (state += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in (0, 1]: 53 random bits, never 0 (the logarithm below needs that). */
  private double nextUniform() {
    return ((nextLong() >>> 11) + 1) * 0x1.0p-53;
  }

  double next() {
    if (!Double.isNaN(spare)) {
      double s = spare;
      spare = Double.NaN;
      return s;
    }
    double radius = StrictMath.sqrt(-2 * StrictMath.log(nextUniform()));
    double angle = 2 * StrictMath.PI * nextUniform();
    spare = radius * StrictMath.sin(angle);
    return radius * StrictMath.cos(angle);
  }

  /** {@code n} values with the given mean and standard deviation, rounded to float32. */
  float[] fill(int n, double mean, double std) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (mean + std * next());
    }
    return out;
  }
}
