package dev.vct.storage.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import java.util.stream.Collectors;

/** A message is not a valid event of the expected type; route it to the dead-letter topic. */
public class EventDecodingException extends RuntimeException {

  private static final int SNIPPET = 300;

  public EventDecodingException(Class<?> expected, String json, Throwable cause) {
    super(
        "not a valid "
            + expected.getSimpleName()
            + " event ("
            + problem(cause)
            + "): "
            + (json.length() > SNIPPET ? json.substring(0, SNIPPET) + "..." : json),
        cause);
  }

  /** The first line of Jackson's message, prefixed by the JSON path of the offending field. */
  private static String problem(Throwable cause) {
    String message =
        cause instanceof JsonProcessingException json
            ? json.getOriginalMessage()
            : String.valueOf(cause.getMessage());
    String firstLine = message.lines().findFirst().orElse("");
    if (cause instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      String path =
          mapping.getPath().stream()
              .map(
                  ref ->
                      ref.getFieldName() != null
                          ? ref.getFieldName()
                          : Integer.toString(ref.getIndex()))
              .collect(Collectors.joining("."));
      return "at " + path + ": " + firstLine;
    }
    return firstLine;
  }
}
