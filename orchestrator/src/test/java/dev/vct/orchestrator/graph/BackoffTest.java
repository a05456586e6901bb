package dev.vct.orchestrator.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofSeconds(2), 2.0, Duration.ofSeconds(10));

  @Test
  void delayGrowsByTheFactorFromTheBase() {
    assertEquals(Duration.ofSeconds(2), backoff.delayBeforeRetry(1));
    assertEquals(Duration.ofSeconds(4), backoff.delayBeforeRetry(2));
    assertEquals(Duration.ofSeconds(8), backoff.delayBeforeRetry(3));
  }

  @Test
  void delayNeverExceedsTheCap() {
    assertEquals(Duration.ofSeconds(10), backoff.delayBeforeRetry(4));
    assertEquals(Duration.ofSeconds(10), backoff.delayBeforeRetry(1_000));
  }

  @Test
  void invalidSettingsAreRejectedWithTheirValues() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Backoff(Duration.ofSeconds(5), 2.0, Duration.ofSeconds(1)));
    assertEquals("retry cap (PT1S) must not be below the base (PT5S)", e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new Backoff(Duration.ZERO, 2.0, Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> backoff.delayBeforeRetry(0));
  }
}
