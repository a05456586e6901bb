package dev.vct.engine.nn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Reading diffusers {@code config.json} files into the config records. */
public final class DiffusersConfigs {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .configure(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY, true);

  private DiffusersConfigs() {}

  /** Parses a config file's JSON, failing with the file name when it is unreadable. */
  public static JsonNode readTree(Path file) {
    try {
      return MAPPER.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read model config " + file + ": " + e.getMessage(), e);
    }
  }

  /** Parses JSON text. */
  public static JsonNode readTree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("model config is not valid JSON: " + e.getMessage(), e);
    }
  }

  /** Binds a parsed config to its record (scalars are accepted where lists are expected). */
  public static <T> T bind(JsonNode tree, Class<T> type) {
    try {
      return MAPPER.treeToValue(tree, type);
    } catch (JsonProcessingException e) {
      if (e.getCause() instanceof IllegalArgumentException invalid) {
        throw invalid; // the record's own validation message
      }
      throw new IllegalArgumentException(
          "config.json does not fit " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Rejects configs that switch on features this engine does not implement: every key of {@code
   * required} that is present must hold the listed value (numbers compare by value, so 1 equals
   * 1.0). The message names all offending keys with their values.
   */
  public static void requireDefaults(
      JsonNode tree, Map<String, Object> required, String component) {
    List<String> offending = new ArrayList<>();
    required.forEach(
        (key, expected) -> {
          JsonNode value = tree.get(key);
          if (value != null && !matches(value, expected)) {
            offending.add(key + "=" + value + " (supported: " + expected + ")");
          }
        });
    if (!offending.isEmpty()) {
      throw new IllegalArgumentException(
          component
              + " config.json uses features this engine does not implement (it runs SD-1.x"
              + " architectures): "
              + String.join(", ", offending));
    }
  }

  private static boolean matches(JsonNode value, Object expected) {
    if (value.isNull()) {
      return expected == null;
    }
    if (value.isArray()) {
      for (JsonNode element : value) {
        if (!matches(element, expected)) {
          return false;
        }
      }
      return true;
    }
    if (expected instanceof Number n) {
      return value.isNumber() && value.asDouble() == n.doubleValue();
    }
    if (expected instanceof Boolean b) {
      return value.isBoolean() && value.asBoolean() == b;
    }
    return value.isTextual() && Objects.equals(value.asText(), expected);
  }

  /**
   * Expands a per-block setting given either once (applies to every block) or once per block.
   *
   * @param key the config key, for the error message
   */
  public static List<Integer> perBlock(List<Integer> values, int blocks, String key) {
    if (values.size() == 1) {
      return Collections.nCopies(blocks, values.get(0));
    }
    if (values.size() != blocks) {
      throw new IllegalArgumentException(
          key + " must be one value or one per block (" + blocks + "), got " + values);
    }
    return List.copyOf(values);
  }
}
