package dev.vct.inputs;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What values a knob takes: its JSON type, its default (null: none, the service chooses), and its
 * bounds (inclusive, or exclusive at the minimum), a step ({@code multipleOf}) or a text pattern.
 *
 * @param patternRule the pattern in words, for messages
 */
public record KnobDomain(
    KnobType type,
    Object defaultValue,
    BigDecimal minimum,
    boolean exclusiveMinimum,
    BigDecimal maximum,
    Integer multipleOf,
    Pattern pattern,
    String patternRule) {

  static KnobDomain integer(Long defaultValue, long minimum, long maximum) {
    return new KnobDomain(
        KnobType.INTEGER,
        defaultValue,
        BigDecimal.valueOf(minimum),
        false,
        BigDecimal.valueOf(maximum),
        null,
        null,
        null);
  }

  static KnobDomain number(double defaultValue, double minimum, double maximum) {
    return new KnobDomain(
        KnobType.NUMBER,
        defaultValue,
        new BigDecimal(Double.toString(minimum)),
        false,
        new BigDecimal(Double.toString(maximum)),
        null,
        null,
        null);
  }

  /** A number above {@code minimum} (exclusive) and at most {@code maximum}. */
  static KnobDomain numberAbove(double defaultValue, double minimum, double maximum) {
    return new KnobDomain(
        KnobType.NUMBER,
        defaultValue,
        new BigDecimal(Double.toString(minimum)),
        true,
        new BigDecimal(Double.toString(maximum)),
        null,
        null,
        null);
  }

  static KnobDomain text(String defaultValue, String regex, String rule) {
    return new KnobDomain(
        KnobType.STRING, defaultValue, null, false, null, null, Pattern.compile(regex), rule);
  }

  static KnobDomain flag(boolean defaultValue) {
    return new KnobDomain(KnobType.BOOLEAN, defaultValue, null, false, null, null, null, null);
  }

  KnobDomain multipleOf(int step) {
    return new KnobDomain(
        type, defaultValue, minimum, exclusiveMinimum, maximum, step, pattern, patternRule);
  }

  public Optional<Object> defaultValueIfAny() {
    return Optional.ofNullable(defaultValue);
  }

  /**
   * The value as this domain's Java type (Long, Double, String or Boolean), or an exception saying
   * what is wrong with it. Integers must be JSON integers (7.0 is not), numbers any JSON number.
   */
  Object check(String name, Object value) {
    switch (type) {
      case INTEGER -> {
        if (!(value instanceof Integer
            || value instanceof Long
            || value instanceof Short
            || value instanceof Byte
            || value instanceof BigInteger)) {
          throw wrongType(name, value);
        }
        BigDecimal exact = new BigDecimal(value.toString());
        checkBounds(name, exact, value);
        return ((Number) value).longValue();
      }
      case NUMBER -> {
        if (!(value instanceof Number n)) {
          throw wrongType(name, value);
        }
        double d = n.doubleValue();
        if (!Double.isFinite(d)) {
          throw outOfBounds(name, value);
        }
        checkBounds(name, new BigDecimal(n.toString()), value);
        return d;
      }
      case STRING -> {
        if (!(value instanceof String s)) {
          throw wrongType(name, value);
        }
        if (!pattern.matcher(s).matches()) {
          throw outOfBounds(name, value);
        }
        return s;
      }
      case BOOLEAN -> {
        if (!(value instanceof Boolean)) {
          throw wrongType(name, value);
        }
        return value;
      }
    }
    throw new AssertionError(type);
  }

  private void checkBounds(String name, BigDecimal exact, Object shown) {
    int low = exact.compareTo(minimum);
    if (low < 0 || (low == 0 && exclusiveMinimum) || exact.compareTo(maximum) > 0) {
      throw outOfBounds(name, shown);
    }
    if (multipleOf != null
        && exact.remainder(BigDecimal.valueOf(multipleOf)).compareTo(BigDecimal.ZERO) != 0) {
      throw outOfBounds(name, shown);
    }
  }

  /** The allowed values in words: "an integer from 1 to 100", "a number above 0 and at most 1". */
  public String describe() {
    return switch (type) {
      case INTEGER, NUMBER -> {
        String range =
            exclusiveMinimum
                ? " above " + plain(minimum) + " and at most " + plain(maximum)
                : " from " + plain(minimum) + " to " + plain(maximum);
        yield type.described()
            + range
            + (multipleOf == null ? "" : ", a multiple of " + multipleOf);
      }
      case STRING -> patternRule;
      case BOOLEAN -> type.described();
    };
  }

  private InvalidKnobException wrongType(String name, Object value) {
    return new InvalidKnobException(
        InvalidKnobException.Problem.WRONG_TYPE,
        name,
        name + " must be " + describe() + " (got " + shown(value) + ")");
  }

  private InvalidKnobException outOfBounds(String name, Object value) {
    return new InvalidKnobException(
        InvalidKnobException.Problem.OUT_OF_BOUNDS,
        name,
        name + " must be " + describe() + " (got " + shown(value) + ")");
  }

  static String plain(BigDecimal value) {
    return value.stripTrailingZeros().toPlainString();
  }

  private static String shown(Object value) {
    String text = value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    return text.length() > 40 ? text.substring(0, 40) + "..." : text;
  }
}
