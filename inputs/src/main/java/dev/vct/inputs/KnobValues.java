package dev.vct.inputs;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Knob values checked against the {@link Knob} table, with the table's defaults for the knobs left
 * out. The gateway reads a client's {@code params} with it, the worker a job's parameters: one
 * reading, so a job the gateway accepted is one the worker reads.
 */
public final class KnobValues {
  private final Map<Knob, Object> given;

  private KnobValues(Map<Knob, Object> given) {
    this.given = given;
  }

  /** No knob given: every value is the table's default. */
  public static KnobValues defaults() {
    return new KnobValues(new EnumMap<>(Knob.class));
  }

  /**
   * Checks {@code values} (JSON names to JSON values: Integer, Long, BigInteger, Double, String,
   * Boolean; a null value counts as left out): an unknown name first, then each knob in table
   * order.
   *
   * @throws InvalidKnobException for the first problem found
   */
  public static KnobValues read(Map<String, ?> values) {
    TreeSet<String> unknown = new TreeSet<>(values.keySet());
    unknown.removeIf(name -> Knob.byName(name).isPresent());
    if (!unknown.isEmpty()) {
      throw new InvalidKnobException(
          InvalidKnobException.Problem.UNKNOWN,
          unknown.first(),
          "unknown knob '"
              + unknown.first()
              + "'; the knobs are: "
              + Arrays.stream(Knob.values()).map(Knob::jsonName).collect(Collectors.joining(", ")));
    }
    Map<Knob, Object> checked = new EnumMap<>(Knob.class);
    for (Knob knob : Knob.values()) {
      Object value = values.get(knob.jsonName());
      if (value != null) {
        checked.put(knob, knob.check(value));
      }
    }
    return new KnobValues(checked);
  }

  /** Whether the client (or job) gave this knob. */
  public boolean has(Knob knob) {
    return given.containsKey(knob);
  }

  public int integer(Knob knob) {
    return Math.toIntExact(longInteger(knob));
  }

  public long longInteger(Knob knob) {
    return (Long) value(knob, KnobType.INTEGER);
  }

  public double number(Knob knob) {
    return (Double) value(knob, KnobType.NUMBER);
  }

  public String text(Knob knob) {
    return (String) value(knob, KnobType.STRING);
  }

  public boolean flag(Knob knob) {
    return (Boolean) value(knob, KnobType.BOOLEAN);
  }

  /**
   * Every knob with its given or default value, in table order, by JSON name; a knob without a
   * default (the seed) only when given. This is what a job stores.
   */
  public Map<String, Object> withDefaults() {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Knob knob : Knob.values()) {
      Object value = given.containsKey(knob) ? given.get(knob) : knob.domain().defaultValue();
      if (value != null) {
        out.put(knob.jsonName(), value);
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private Object value(Knob knob, KnobType type) {
    if (knob.type() != type) {
      throw new IllegalArgumentException(knob.jsonName() + " is " + knob.type().described());
    }
    Object value = given.containsKey(knob) ? given.get(knob) : knob.domain().defaultValue();
    if (value == null) {
      throw new IllegalStateException(knob.jsonName() + " was not given and has no default");
    }
    return value;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof KnobValues o && given.equals(o.given);
  }

  @Override
  public int hashCode() {
    return given.hashCode();
  }

  @Override
  public String toString() {
    return withDefaults().toString();
  }
}
