package dev.vct.storage.persistence;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Timestamps at the precision PostgreSQL stores, so a value reads back equal to what was written.
 */
public final class Clock {
  private Clock() {}

  /** Now, truncated to microseconds. */
  public static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }
}
