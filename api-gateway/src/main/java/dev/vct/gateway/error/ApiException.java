package dev.vct.gateway.error;

import java.util.Map;

/**
 * A refusal the gateway decided on: carries its {@link ErrorCode}, a message for people and
 * optional extra response headers (for example {@code Retry-After}).
 */
public class ApiException extends RuntimeException {
  private final ErrorCode code;
  private final Map<String, String> headers;

  public ApiException(ErrorCode code, String message) {
    this(code, message, Map.of());
  }

  public ApiException(ErrorCode code, String message, Map<String, String> headers) {
    super(message);
    this.code = code;
    this.headers = Map.copyOf(headers);
  }

  public ErrorCode code() {
    return code;
  }

  public Map<String, String> headers() {
    return headers;
  }
}
