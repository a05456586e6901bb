package dev.vct.gateway.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DecodeBudgetTest {
  @Test
  void decodesThatDoNotFitTogetherRunOneAfterAnother() throws Exception {
    DecodeBudget budget = new DecodeBudget(10 << 10, Duration.ofSeconds(30));
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        done.add(
            pool.submit(
                () -> {
                  budget.run(
                      6 << 10,
                      () -> {
                        most.accumulateAndGet(running.incrementAndGet(), Math::max);
                        sleep(50);
                        running.decrementAndGet();
                      });
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, most.get(), "two 6 KiB decodes never share a 10 KiB budget");
    assertEquals(6 << 10, budget.peakBytes());
  }

  @Test
  void aDecodeThatFindsNoRoomInTimeIsRefusedAsBusyWithRetryAfter() throws Exception {
    DecodeBudget budget = new DecodeBudget(10 << 10, Duration.ofMillis(100));
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread holder =
        new Thread(
            () -> {
              try {
                budget.run(
                    8 << 10,
                    () -> {
                      holding.countDown();
                      await(release);
                    });
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            });
    holder.start();
    assertTrue(holding.await(10, TimeUnit.SECONDS));
    ApiException busy = assertThrows(ApiException.class, () -> budget.run(4 << 10, () -> {}));
    assertEquals(ErrorCode.SERVER_BUSY, busy.code());
    assertTrue(busy.headers().containsKey("Retry-After"));
    release.countDown();
    holder.join(10_000);
    budget.run(10 << 10, () -> {});
  }

  @Test
  void aDecodeLargerThanTheWholeBudgetIsAConfigurationError() {
    DecodeBudget budget = new DecodeBudget(10 << 10, Duration.ofSeconds(1));
    assertThrows(IllegalArgumentException.class, () -> budget.run(11 << 10, () -> {}));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
