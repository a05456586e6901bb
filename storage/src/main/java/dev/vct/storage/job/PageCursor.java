package dev.vct.storage.job;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Objects;
import java.util.UUID;

/**
 * A position in a tenant's job list (newest first): the creation time and id of the last job of a
 * page. {@link #token()} is an opaque URL-safe form for clients.
 */
public record PageCursor(Instant createdAt, UUID id) {
  /** Creation times outside these years are no job's, and the database cannot compare them. */
  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");

  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

  public PageCursor {
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(id, "id");
  }

  public String token() {
    String plain = createdAt + "|" + id;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads a token made by {@link #token()}.
   *
   * @throws IllegalArgumentException when the token was not made by {@link #token()}
   */
  public static PageCursor parse(String token) {
    try {
      String plain = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      int bar = plain.indexOf('|');
      Instant createdAt = Instant.parse(plain.substring(0, Math.max(bar, 0)));
      if (createdAt.isBefore(EARLIEST) || createdAt.isAfter(LATEST)) {
        throw new IllegalArgumentException("creation time out of range: " + createdAt);
      }
      return new PageCursor(createdAt, UUID.fromString(plain.substring(bar + 1)));
    } catch (DateTimeParseException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "malformed page cursor '" + token + "': pass the cursor of a previous page unchanged", e);
    }
  }
}
