package dev.vct.storage.blob;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests as lower-case hex, the form used in keys and database columns. */
public final class Sha256 {
  private Sha256() {}

  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }

  public static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(newDigest().digest(bytes));
  }

  public static String hex(String text) {
    return hex(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Digest of everything left in {@code in}; the stream is read to its end but not closed. */
  public static String hex(InputStream in) throws IOException {
    HashingInputStream hashing = new HashingInputStream(in);
    hashing.transferTo(OutputStream.nullOutputStream());
    return hashing.sha256();
  }

  public static String hex(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return hex(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " to hash it", e);
    }
  }
}
