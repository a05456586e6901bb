package dev.vct.orchestrator.graph;

import java.time.Duration;

/**
 * Exponential back-off: the wait before retry {@code n} (1 for the first retry) is {@code base *
 * factor^(n-1)}, never more than {@code cap}.
 */
public record Backoff(Duration base, double factor, Duration cap) {
  public Backoff {
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("retry base must be positive, got " + base);
    }
    if (!(factor >= 1.0) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException(
          "retry factor must be a finite number >= 1, got " + factor);
    }
    if (cap.compareTo(base) < 0) {
      throw new IllegalArgumentException(
          "retry cap (" + cap + ") must not be below the base (" + base + ")");
    }
  }

  public Duration delayBeforeRetry(int retry) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry numbers start at 1, got " + retry);
    }
    double millis = base.toMillis() * Math.pow(factor, retry - 1);
    if (millis >= cap.toMillis()) {
      return cap;
    }
    return Duration.ofMillis(Math.round(millis));
  }
}
