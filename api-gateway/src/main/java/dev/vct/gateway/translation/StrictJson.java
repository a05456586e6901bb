package dev.vct.gateway.translation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import java.io.IOException;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads client JSON without guessing: unknown fields, duplicate keys, "7" for a number, 7.5 for an
 * integer and trailing content are all refused, each with a message that names the field by its
 * JSON path and never a Java type.
 */
public final class StrictJson {
  private static final ObjectMapper MAPPER = build();

  private StrictJson() {}

  private static ObjectMapper build() {
    JsonMapper mapper =
        JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    for (LogicalType type : new LogicalType[] {LogicalType.Textual, LogicalType.Boolean}) {
      mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
      mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    }
    mapper
        .coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    return mapper;
  }

  /** The mapper, for converting already validated values (never for reading client input). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * @param what names the document in messages, for example "the request body" or "the 'params'
   *     part"
   */
  public static <T> T read(byte[] json, Class<T> type, String what) {
    if (json.length == 0) {
      throw new ApiException(ErrorCode.EMPTY_BODY, capitalized(what) + " is empty");
    }
    T value;
    try {
      value = MAPPER.readValue(json, type);
    } catch (UnrecognizedPropertyException e) {
      Collection<Object> known = e.getKnownPropertyIds();
      String allowed =
          known == null
              ? ""
              : "; allowed: "
                  + known.stream().map(String::valueOf).sorted().collect(Collectors.joining(", "));
      throw new ApiException(
          ErrorCode.UNKNOWN_FIELD, "Unknown field '" + path(e) + "' in " + what + allowed);
    } catch (MismatchedInputException e) {
      if (String.valueOf(e.getOriginalMessage()).startsWith("Trailing token")) {
        throw new ApiException(
            ErrorCode.INVALID_JSON,
            capitalized(what)
                + " is not valid JSON: it goes on after the JSON document ends "
                + location(e));
      }
      if (e.getPath().isEmpty()) {
        throw new ApiException(
            ErrorCode.INVALID_FIELD_TYPE, capitalized(what) + " must be a JSON object");
      }
      throw new ApiException(
          ErrorCode.INVALID_FIELD_TYPE,
          "Field '" + path(e) + "' in " + what + " must be " + describe(e.getTargetType()));
    } catch (InputCoercionException e) {
      throw new ApiException(
          ErrorCode.INVALID_PARAMETER,
          "A number in " + what + " is out of range for its field " + location(e));
    } catch (JsonMappingException e) {
      throw nested(e, what);
    } catch (JsonProcessingException e) {
      throw new ApiException(
          ErrorCode.INVALID_JSON,
          capitalized(what) + " is not valid JSON: " + parserProblem(e) + " " + location(e));
    } catch (IOException e) {
      throw new ApiException(ErrorCode.INVALID_JSON, capitalized(what) + " could not be read");
    }
    if (value == null) {
      throw new ApiException(
          ErrorCode.INVALID_FIELD_TYPE, capitalized(what) + " must be a JSON object, not null");
    }
    return value;
  }

  /**
   * A mapping failure inside a nested object often wraps what the parser met there (broken syntax,
   * a repeated key, NaN, a number too long to read): report that as what it is, not as an invalid
   * field.
   */
  private static ApiException nested(JsonMappingException e, String what) {
    String field = path(e);
    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof InputCoercionException coercion) {
        return new ApiException(
            ErrorCode.INVALID_PARAMETER,
            "Field '"
                + field
                + "' in "
                + what
                + " is a number out of range for its field "
                + location(coercion));
      }
      if (cause instanceof StreamConstraintsException limit) {
        return new ApiException(
            ErrorCode.INVALID_PARAMETER,
            "Field '" + field + "' in " + what + " is too long: " + parserProblem(limit));
      }
      if (cause instanceof StreamReadException syntax) {
        return new ApiException(
            ErrorCode.INVALID_JSON,
            capitalized(what)
                + " is not valid JSON: "
                + parserProblem(syntax)
                + " "
                + location(syntax));
      }
    }
    return new ApiException(
        ErrorCode.INVALID_PARAMETER, "Field '" + field + "' in " + what + " is invalid");
  }

  private static String path(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (!path.isEmpty()) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  /** The parser's own words, without its source excerpt and configuration hints. */
  private static String parserProblem(JsonProcessingException e) {
    String problem = String.valueOf(e.getOriginalMessage()).replaceAll(", from `[^`]*`\\)", ")");
    for (String cut : new String[] {"\n", " (start marker", " at [Source"}) {
      int at = problem.indexOf(cut);
      if (at > 0) {
        problem = problem.substring(0, at);
      }
    }
    return problem;
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null
        ? ""
        : "(line "
            + e.getLocation().getLineNr()
            + ", column "
            + e.getLocation().getColumnNr()
            + ")";
  }

  static String describe(Class<?> type) {
    if (type == null) {
      return "of another type";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "an integer";
    }
    if (type == Double.class || type == double.class || type == Float.class) {
      return "a number";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "an array";
    }
    if (Map.class.isAssignableFrom(type) || type.isRecord()) {
      return "an object";
    }
    return "of another type";
  }

  private static String capitalized(String what) {
    return Character.toUpperCase(what.charAt(0)) + what.substring(1);
  }
}
