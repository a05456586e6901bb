package dev.vct.worker.stage;

/**
 * A stage that cannot complete. {@code code} is a stable identifier that ends up in the job's error
 * (for example {@code BAD_INPUT}, {@code OUT_OF_MEMORY}); {@code retryable} tells the orchestrator
 * whether another attempt may succeed.
 */
public class StageException extends RuntimeException {
  private final String code;
  private final boolean retryable;

  public StageException(String code, String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.retryable = retryable;
  }

  public StageException(String code, String message, boolean retryable) {
    this(code, message, retryable, null);
  }

  /** Bad input: the same request fails again, so the job fails at once. */
  public static StageException badInput(String message) {
    return new StageException("BAD_INPUT", message, false);
  }

  public String code() {
    return code;
  }

  public boolean retryable() {
    return retryable;
  }

  /**
   * Classifies any failure of an executor: out-of-memory and interruption are transient (another
   * attempt, perhaps on another worker, may succeed); an {@link IllegalArgumentException} is bad
   * input; anything else is retried up to the stage's attempt limit.
   */
  public static StageException classify(Throwable failure) {
    if (failure instanceof StageException stage) {
      return stage;
    }
    if (failure instanceof OutOfMemoryError) {
      return new StageException("OUT_OF_MEMORY", "the stage ran out of memory", true, failure);
    }
    if (failure instanceof InterruptedException) {
      return new StageException("INTERRUPTED", "the stage was interrupted", true, failure);
    }
    if (failure instanceof IllegalArgumentException) {
      return new StageException("BAD_INPUT", String.valueOf(failure.getMessage()), false, failure);
    }
    String message = failure.getMessage() == null ? failure.toString() : failure.getMessage();
    return new StageException("STAGE_ERROR", message, true, failure);
  }
}
