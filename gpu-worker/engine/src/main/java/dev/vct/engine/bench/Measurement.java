package dev.vct.engine.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Timings of one benchmark phase.
 *
 * @param phase what was timed, e.g. "forward"
 * @param millis every timed iteration (warm-up excluded), in order
 * @param peakBytes peak resident set of the process during the phase (VmHWM)
 */
public record Measurement(String phase, double[] millis, long peakBytes) {

  public double medianMillis() {
    double[] sorted = millis.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  public double minMillis() {
    return Arrays.stream(millis).min().orElse(Double.NaN);
  }

  /** One report line: phase, median, min, iterations, peak RSS. */
  public String line() {
    return String.format(
        Locale.ROOT,
        "%-18s median %10.1f ms  min %10.1f ms  (%d iters)  peak RSS %6.2f GiB",
        phase,
        medianMillis(),
        minMillis(),
        millis.length,
        peakBytes / (double) (1L << 30));
  }
}
