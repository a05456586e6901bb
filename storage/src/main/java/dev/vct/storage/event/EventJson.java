package dev.vct.storage.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The JSON form of {@link VctEvent}s, the same in every service and without CDI (a private mapper,
 * untouched by a service's ObjectMapper customizers).
 *
 * <ul>
 *   <li>Timestamps are ISO-8601 strings ({@code 2026-01-01T12:00:00.123456Z}).
 *   <li>Unknown properties are ignored: a consumer of an older version reads events of a newer
 *       producer that added fields (rolling upgrades). An unknown {@code type} still fails.
 *   <li>A missing or null primitive (an {@code attempt}, a {@code step}) fails instead of reading
 *       as 0; required references are checked by the records' constructors.
 * </ul>
 */
public final class EventJson {
  private EventJson() {}

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private static final ObjectWriter WRITER = MAPPER.writerFor(VctEvent.class);

  /** The configured mapper (thread-safe; do not reconfigure it). */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static byte[] encode(VctEvent event) {
    try {
      return WRITER.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "cannot encode " + event.getClass().getSimpleName() + " " + event.eventId(), e);
    }
  }

  public static String encodeToString(VctEvent event) {
    return new String(encode(event), StandardCharsets.UTF_8);
  }

  /**
   * Reads an event of {@code type} (a record or one of the sealed interfaces).
   *
   * @throws EventDecodingException when the JSON is malformed, names an unknown or unexpected
   *     {@code type}, or lacks a required field
   */
  public static <T extends VctEvent> T decode(byte[] json, Class<T> type) {
    ObjectReader reader = MAPPER.readerFor(type);
    try {
      return reader.readValue(json);
    } catch (IOException | IllegalArgumentException e) {
      throw new EventDecodingException(type, new String(json, StandardCharsets.UTF_8), e);
    }
  }

  public static <T extends VctEvent> T decode(String json, Class<T> type) {
    return decode(json.getBytes(StandardCharsets.UTF_8), type);
  }
}
