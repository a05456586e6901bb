package dev.vct.gateway.image;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import dev.vct.inputs.image.ImageReadException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the memory that image decodes in flight hold together. Each decode reserves the bytes its
 * header says it will take; one that does not fit waits (up to a limit) for others to finish, then
 * is refused with 503 {@code server_busy} and a {@code Retry-After}, so concurrent uploads of large
 * pictures queue instead of exhausting the heap.
 */
public final class DecodeBudget {
  /** The decode to run once its memory is reserved. */
  @FunctionalInterface
  public interface Decode {
    void run() throws ImageReadException;
  }

  private static final long KIB = 1024;

  private final long capacityBytes;
  private final Duration wait;
  private final Semaphore kibibytes;
  private final AtomicLong inFlightBytes = new AtomicLong();
  private final AtomicLong peakBytes = new AtomicLong();

  public DecodeBudget(long capacityBytes, Duration wait) {
    if (capacityBytes < KIB || capacityBytes / KIB > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "the decode budget must lie between 1 KiB and 2 TiB, got " + capacityBytes + " bytes");
    }
    if (wait.isNegative()) {
      throw new IllegalArgumentException("the decode wait must not be negative, got " + wait);
    }
    this.capacityBytes = capacityBytes;
    this.wait = wait;
    this.kibibytes = new Semaphore((int) (capacityBytes / KIB), true);
  }

  public long capacityBytes() {
    return capacityBytes;
  }

  /** The most bytes that decodes have held at once since start. */
  public long peakBytes() {
    return peakBytes.get();
  }

  /**
   * Runs {@code decode} once {@code bytes} fit in the budget.
   *
   * @throws IllegalArgumentException if {@code bytes} exceed the whole budget (the per-image limit
   *     must keep every accepted header below it)
   * @throws ApiException {@code server_busy} if no room came within the wait
   */
  public void run(long bytes, Decode decode) throws ImageReadException {
    int permits = (int) Math.max(1, (bytes + KIB - 1) / KIB);
    if ((long) permits * KIB > capacityBytes) {
      throw new IllegalArgumentException(
          "a decode of " + bytes + " bytes can never fit the budget of " + capacityBytes);
    }
    boolean acquired;
    try {
      acquired = kibibytes.tryAcquire(permits, wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      acquired = false;
    }
    if (!acquired) {
      long retry = Math.max(1, wait.toSeconds() / 4);
      throw new ApiException(
          ErrorCode.SERVER_BUSY,
          "The gateway is decoding as many images as its memory allows; retry in "
              + retry
              + " seconds",
          Map.of("Retry-After", Long.toString(retry)));
    }
    long reserved = (long) permits * KIB;
    try {
      peakBytes.accumulateAndGet(inFlightBytes.addAndGet(reserved), Math::max);
      decode.run();
    } finally {
      inFlightBytes.addAndGet(-reserved);
      kibibytes.release(permits);
    }
  }
}
