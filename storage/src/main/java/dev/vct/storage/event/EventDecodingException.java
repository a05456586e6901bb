package dev.vct.storage.event;

/** A message is not a valid event of the expected type; route it to the dead-letter topic. */
public class EventDecodingException extends RuntimeException {

  private static final int SNIPPET = 300;

  public EventDecodingException(Class<?> expected, String json, Throwable cause) {
    super(
        "not a valid "
            + expected.getSimpleName()
            + " event ("
            + String.valueOf(cause.getMessage()).lines().findFirst().orElse("")
            + "): "
            + (json.length() > SNIPPET ? json.substring(0, SNIPPET) + "..." : json),
        cause);
  }
}
