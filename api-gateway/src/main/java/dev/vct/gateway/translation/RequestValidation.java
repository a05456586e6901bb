package dev.vct.gateway.translation;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Path;
import jakarta.validation.Validator;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Bean Validation of request bodies, reported with the JSON names the client wrote ({@code
 * params.concept_steps}, not a Java property path).
 */
@ApplicationScoped
public class RequestValidation {
  private final Validator validator;

  RequestValidation(Validator validator) {
    this.validator = validator;
  }

  public <T> void validate(T request) {
    Set<ConstraintViolation<T>> violations = validator.validate(request);
    if (violations.isEmpty()) {
      return;
    }
    String problems =
        violations.stream()
            .sorted(Comparator.comparing(v -> v.getPropertyPath().toString()))
            .map(
                v ->
                    jsonPath(v.getPropertyPath())
                        + " "
                        + v.getMessage()
                        + " (got "
                        + shown(v.getInvalidValue())
                        + ")")
            .collect(Collectors.joining("; "));
    ErrorCode code =
        violations.stream().allMatch(v -> v.getPropertyPath().toString().startsWith("webhook"))
            ? ErrorCode.INVALID_WEBHOOK
            : ErrorCode.INVALID_PARAMETER;
    throw new ApiException(code, problems);
  }

  /** "params.conceptSteps" as the client wrote it: "params.concept_steps". */
  static String jsonPath(Path path) {
    StringBuilder out = new StringBuilder();
    for (Path.Node node : path) {
      if (node.getName() == null) {
        continue;
      }
      if (!out.isEmpty()) {
        out.append('.');
      }
      out.append(node.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase());
    }
    return out.toString();
  }

  private static String shown(Object value) {
    String text = String.valueOf(value);
    return text.length() > 40 ? text.substring(0, 40) + "..." : text;
  }
}
