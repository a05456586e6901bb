package dev.vct.storage.blob;

import java.io.InputStream;

/**
 * {@code length} pseudo-random bytes made on the fly from {@code seed} (xorshift64), so a test can
 * stream a large blob without holding it, and make the same bytes again to check them.
 */
final class GeneratedInputStream extends InputStream {

  private final long length;
  private long state;
  private long position;
  private long word;

  GeneratedInputStream(long length, long seed) {
    this.length = length;
    this.state = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
  }

  @Override
  public int read() {
    if (position >= length) {
      return -1;
    }
    return next() & 0xFF;
  }

  @Override
  public int read(byte[] buffer, int offset, int count) {
    if (position >= length) {
      return -1;
    }
    int n = (int) Math.min(count, length - position);
    for (int i = 0; i < n; i++) {
      buffer[offset + i] = (byte) next();
    }
    return n;
  }

  private int next() {
    int lane = (int) (position & 7);
    if (lane == 0) {
      state ^= state << 13;
      state ^= state >>> 7;
      state ^= state << 17;
      word = state;
    }
    position++;
    return (int) (word >>> (lane * 8));
  }
}
