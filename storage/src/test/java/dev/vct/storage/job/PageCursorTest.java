package dev.vct.storage.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PageCursorTest {
  private static String token(String plain) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"2026-12-06T20:00:00.123456Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"})
  void readsBackTheTokensItMakes(String time) {
    PageCursor cursor = new PageCursor(Instant.parse(time), UUID.randomUUID());
    assertEquals(cursor, PageCursor.parse(cursor.token()));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "+300000-01-01T00:00:00Z|00000000-0000-0000-0000-000000000001",
        "+10000-01-01T00:00:00Z|00000000-0000-0000-0000-000000000001",
        "-0001-12-31T23:59:59Z|00000000-0000-0000-0000-000000000001",
        "-1000000000-01-01T00:00:00Z|00000000-0000-0000-0000-000000000001",
        "2026-12-06T20:00:00Z|not-a-uuid",
        "2026-12-06T20:00:00Z",
        "yesterday|00000000-0000-0000-0000-000000000001"
      })
  void refusesTokensNoPageCouldHaveMade(String plain) {
    assertThrows(IllegalArgumentException.class, () -> PageCursor.parse(token(plain)));
  }
}
