package dev.vct.engine.vct;

/**
 * The engine's own seeded generator for the stages' random draws: SplitMix64 over a counter, with
 * Box-Muller normals computed in StrictMath. Its whole state is two longs (seed and counter), so a
 * checkpoint restores it exactly and a resumed stage draws the same numbers an uninterrupted one
 * would; nothing depends on DJL's or torch's global generator.
 */
public final class StageRandom {

  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

  private final long seed;
  private long counter;

  public StageRandom(long seed) {
    this(seed, 0);
  }

  private StageRandom(long seed, long counter) {
    this.seed = seed;
    this.counter = counter;
  }

  /** A generator continuing from a saved {@link #seed()} and {@link #counter()}. */
  public static StageRandom restore(long seed, long counter) {
    if (counter < 0) {
      throw new IllegalArgumentException("random counter must be >= 0, got " + counter);
    }
    return new StageRandom(seed, counter);
  }

  public long seed() {
    return seed;
  }

  /** How many 64-bit values were drawn so far. */
  public long counter() {
    return counter;
  }

  /**
   * Goes back to an earlier {@link #counter()}: the values drawn since are drawn again, the same (a
   * stage that abandons a step puts back the step's draws).
   */
  void rewind(long counter) {
    if (counter < 0 || counter > this.counter) {
      throw new IllegalArgumentException(
          "can only rewind to a counter in 0.." + this.counter + ", got " + counter);
    }
    this.counter = counter;
  }

  /** The next 64 random bits: SplitMix64's output function of seed + counter * gamma. */
  public long nextLong() {
    long z = seed + (++counter) * GOLDEN_GAMMA;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform integer in [0, bound), without modulo bias (Lemire's rejection). */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    long threshold = (1L << 32) % bound;
    while (true) {
      long bits = nextLong() >>> 32;
      long product = bits * bound;
      if ((product & 0xFFFFFFFFL) >= threshold) {
        return (int) (product >>> 32);
      }
    }
  }

  /** True with probability p. */
  public boolean nextBoolean(double p) {
    return nextDouble() < p;
  }

  /**
   * {@code n} standard normal values rounded to float32, by Box-Muller on pairs of uniforms (both
   * values of a pair are used; an odd count discards the last one, so no hidden state remains).
   */
  public float[] normals(int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i += 2) {
      double u1 = ((nextLong() >>> 11) + 1) * 0x1.0p-53; // (0, 1]: log is finite
      double u2 = nextDouble();
      double radius = StrictMath.sqrt(-2 * StrictMath.log(u1));
      double angle = 2 * StrictMath.PI * u2;
      out[i] = (float) (radius * StrictMath.cos(angle));
      if (i + 1 < n) {
        out[i + 1] = (float) (radius * StrictMath.sin(angle));
      }
    }
    return out;
  }
}
