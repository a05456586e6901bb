package dev.vct.storage.blob;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/** Passes bytes through while computing their SHA-256 and counting them. */
public final class HashingInputStream extends FilterInputStream {

  private final MessageDigest digest = Sha256.newDigest();
  private long count;

  public HashingInputStream(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      digest.update((byte) b);
      count++;
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = in.read(buffer, offset, length);
    if (n > 0) {
      digest.update(buffer, offset, n);
      count += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes would be missing from the digest; read them instead.
    byte[] sink = new byte[(int) Math.min(n, 8192)];
    long skipped = 0;
    while (skipped < n) {
      int r = read(sink, 0, (int) Math.min(sink.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  /** Bytes read so far. */
  public long count() {
    return count;
  }

  /** Hex SHA-256 of the bytes read so far; call once, after the end of the stream. */
  public String sha256() {
    return HexFormat.of().formatHex(digest.digest());
  }
}
