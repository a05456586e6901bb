package dev.vct.inputs;

/**
 * A knob value the table refuses. The message names the knob by its JSON name, says what is allowed
 * and shows the value given; it never names a Java type.
 */
public final class InvalidKnobException extends IllegalArgumentException {
  /**
   * What is wrong, so that each layer can answer in its own terms (an HTTP code, a usage error).
   */
  public enum Problem {
    /** The name is not a knob. */
    UNKNOWN,
    /** The value has the wrong JSON type (a string for a number, 7.5 for an integer). */
    WRONG_TYPE,
    /** The value has the right type but is outside the knob's bounds or pattern. */
    OUT_OF_BOUNDS
  }

  private final Problem problem;
  private final String knob;

  InvalidKnobException(Problem problem, String knob, String message) {
    super(message);
    this.problem = problem;
    this.knob = knob;
  }

  public Problem problem() {
    return problem;
  }

  /** The JSON name given (for {@link Problem#UNKNOWN}, the unknown name). */
  public String knob() {
    return knob;
  }
}
