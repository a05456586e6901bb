package dev.vct.storage.blob;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;

/**
 * Puts a generated blob of {@code size} bytes into a store and reads it back, printing what it saw.
 * {@link LargeBlobStreamingTest} runs it in a JVM whose heap is far smaller than the blob.
 *
 * <p>Arguments: {@code size filesystem <root>} or {@code size s3 <endpoint> <region> <bucket>
 * <access-key> <secret-key>}.
 */
public final class LargeBlobRoundTrip {

  static final long SEED = 20231001;

  public static void main(String[] args) throws IOException {
    long size = Long.parseLong(args[0]);
    try (BlobStore store = open(args)) {
      StoredBlob unknownLength =
          store.put(
              "large/unknown-length.bin",
              new GeneratedInputStream(size, SEED),
              BlobStore.UNKNOWN_LENGTH,
              "application/octet-stream");
      StoredBlob knownLength =
          store.put(
              "large/known-length.bin",
              new GeneratedInputStream(size, SEED),
              size,
              "application/octet-stream");
      String readBack;
      try (InputStream in = store.open("large/known-length.bin")) {
        readBack = Sha256.hex(in);
      }
      System.out.println("unknown-length " + unknownLength.size() + " " + unknownLength.sha256());
      System.out.println("known-length " + knownLength.size() + " " + knownLength.sha256());
      System.out.println("stored-size " + store.size("large/known-length.bin"));
      System.out.println("read-back " + readBack);
      System.out.println("max-heap " + Runtime.getRuntime().maxMemory());
      store.delete("large/unknown-length.bin");
      store.delete("large/known-length.bin");
    }
  }

  private static BlobStore open(String[] args) {
    return switch (args[1]) {
      case "filesystem" -> new FilesystemBlobStore(Path.of(args[2]));
      case "s3" ->
          new S3BlobStore(
              new S3BlobStore.Settings(URI.create(args[2]), args[3], args[4], args[5], args[6]));
      default -> throw new IllegalArgumentException("unknown store kind " + args[1]);
    };
  }
}
