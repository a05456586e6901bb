package dev.vct.engine.parity;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Outcome of one fixture: PASS/FAIL with the largest differences over its outputs, or SKIP with a
 * reason.
 */
public record ParityResult(
    String name, Status status, double maxAbs, double maxRel, String detail) {

  public enum Status {
    PASS,
    FAIL,
    SKIP
  }

  static ParityResult skip(String name, String reason) {
    return new ParityResult(name, Status.SKIP, 0, 0, reason);
  }

  static ParityResult error(String name, Throwable error) {
    String message = error.getMessage() == null ? error.toString() : error.getMessage();
    return new ParityResult(
        name,
        Status.FAIL,
        Double.NaN,
        Double.NaN,
        "error: " + error.getClass().getSimpleName() + ": " + message);
  }

  static ParityResult of(String name, List<Comparison> comparisons) {
    if (comparisons.isEmpty()) {
      return new ParityResult(name, Status.FAIL, Double.NaN, Double.NaN, "no output compared");
    }
    double maxAbs = comparisons.stream().mapToDouble(Comparison::maxAbs).max().orElse(0);
    double maxRel = comparisons.stream().mapToDouble(Comparison::maxRel).max().orElse(0);
    List<Comparison> failed = comparisons.stream().filter(c -> !c.pass()).toList();
    return failed.isEmpty()
        ? new ParityResult(name, Status.PASS, maxAbs, maxRel, "")
        : new ParityResult(
            name,
            Status.FAIL,
            maxAbs,
            maxRel,
            failed.stream().map(Comparison::describe).collect(Collectors.joining("; ")));
  }

  /** The report line: {@code PASS|FAIL <name> max_abs=<x> max_rel=<y> [...]} or SKIP. */
  public String line() {
    return switch (status) {
      case PASS -> "PASS " + name + " " + Comparison.numbers(maxAbs, maxRel);
      case FAIL -> "FAIL " + name + " " + Comparison.numbers(maxAbs, maxRel) + " " + detail;
      case SKIP -> "SKIP " + name + " " + detail;
    };
  }
}
