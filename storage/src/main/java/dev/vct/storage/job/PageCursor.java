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
      return new PageCursor(
          Instant.parse(plain.substring(0, Math.max(bar, 0))),
          UUID.fromString(plain.substring(bar + 1)));
    } catch (DateTimeParseException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "malformed page cursor '" + token + "': pass the cursor of a previous page unchanged", e);
    }
  }
}
