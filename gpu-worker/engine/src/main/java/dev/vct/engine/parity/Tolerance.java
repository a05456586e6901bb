package dev.vct.engine.parity;

import java.util.Locale;

/**
 * How closely one output must match: numpy.allclose semantics, {@code |a - b| <= atol + rtol * |b|}
 * elementwise with b the expected value, or exact equality.
 */
public record Tolerance(double atol, double rtol, boolean exact) {

  public static final Tolerance EXACT = new Tolerance(0, 0, true);

  public Tolerance {
    if (!(atol >= 0) || !(rtol >= 0)) {
      throw new IllegalArgumentException(
          "tolerance needs atol >= 0 and rtol >= 0, got atol=" + atol + " rtol=" + rtol);
    }
  }

  public static Tolerance of(double atol, double rtol) {
    return new Tolerance(atol, rtol, false);
  }

  /** Whether {@code actual} is close enough to {@code expected}; NaN never is. */
  public boolean accepts(double actual, double expected) {
    if (exact) {
      return actual == expected;
    }
    return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
  }

  @Override
  public String toString() {
    return exact ? "exact" : String.format(Locale.ROOT, "atol=%.1e rtol=%.1e", atol, rtol);
  }
}
