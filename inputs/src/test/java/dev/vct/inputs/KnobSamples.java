package dev.vct.inputs;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Each knob's documented values as a client sends them: its minimum, maximum and default (all
 * accepted) and one value past each bound (refused). Shared by the tests of every layer that checks
 * knobs.
 */
public final class KnobSamples {
  private KnobSamples() {}

  /** A knob and a JSON value for it. */
  public record Sample(Knob knob, Object value, String what) {
    @Override
    public String toString() {
      return knob.jsonName() + " " + what + " = " + value;
    }
  }

  /** The minimum, maximum and default of every knob (for a boolean: both values). */
  public static List<Sample> accepted() {
    List<Sample> out = new ArrayList<>();
    for (Knob knob : Knob.values()) {
      KnobDomain d = knob.domain();
      switch (d.type()) {
        case INTEGER -> {
          out.add(new Sample(knob, d.minimum().longValueExact(), "minimum"));
          out.add(new Sample(knob, d.maximum().longValueExact(), "maximum"));
        }
        case NUMBER -> {
          double min = d.minimum().doubleValue();
          out.add(
              new Sample(
                  knob,
                  d.exclusiveMinimum() ? Math.nextUp(min) : min,
                  d.exclusiveMinimum() ? "least above the minimum" : "minimum"));
          out.add(new Sample(knob, d.maximum().doubleValue(), "maximum"));
        }
        case STRING -> {
          out.add(new Sample(knob, "a", "shortest"));
          out.add(new Sample(knob, "z".repeat(32), "longest"));
        }
        case BOOLEAN -> {
          out.add(new Sample(knob, true, "true"));
          out.add(new Sample(knob, false, "false"));
        }
      }
      d.defaultValueIfAny().ifPresent(v -> out.add(new Sample(knob, v, "default")));
    }
    return out;
  }

  /** One value past each bound of every knob, and a value of the wrong JSON type. */
  public static List<Sample> refused() {
    List<Sample> out = new ArrayList<>();
    for (Knob knob : Knob.values()) {
      KnobDomain d = knob.domain();
      switch (d.type()) {
        case INTEGER -> {
          out.add(new Sample(knob, d.minimum().longValueExact() - 1, "below the minimum"));
          out.add(new Sample(knob, d.maximum().longValueExact() + 1, "above the maximum"));
          if (d.multipleOf() != null) {
            out.add(
                new Sample(
                    knob, d.minimum().longValueExact() + d.multipleOf() / 2, "not a multiple"));
          }
          out.add(new Sample(knob, 2.5, "not an integer"));
        }
        case NUMBER -> {
          double min = d.minimum().doubleValue();
          out.add(
              new Sample(
                  knob,
                  d.exclusiveMinimum() ? min : min - step(d.minimum()),
                  d.exclusiveMinimum() ? "the excluded minimum" : "below the minimum"));
          out.add(
              new Sample(knob, d.maximum().doubleValue() + step(d.maximum()), "above the maximum"));
          out.add(new Sample(knob, "1", "a string"));
        }
        case STRING -> {
          out.add(new Sample(knob, "", "empty"));
          out.add(new Sample(knob, "z".repeat(33), "too long"));
          out.add(new Sample(knob, "Girl", "an upper-case letter"));
          out.add(new Sample(knob, 7, "a number"));
        }
        case BOOLEAN -> out.add(new Sample(knob, "true", "a string"));
      }
    }
    return out;
  }

  /** A small step past a bound that double arithmetic still sees. */
  private static double step(BigDecimal bound) {
    return Math.max(1e-6, Math.abs(bound.doubleValue()) * 1e-6);
  }
}
