package dev.vct.deploy.k8s;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Quarkus' duration syntax: {@code 60s}, {@code 5m}, {@code 200ms}, {@code 24h}, or ISO-8601. */
final class Durations {
  private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)?");

  private Durations() {}

  static Duration parse(String text) {
    String value = text.trim();
    if (value.startsWith("P") || value.startsWith("p")) {
      return Duration.parse(value);
    }
    Matcher m = SHORT.matcher(value);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }
}
