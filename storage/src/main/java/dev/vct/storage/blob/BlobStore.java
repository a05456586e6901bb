package dev.vct.storage.blob;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Named byte blobs (images, safetensors files, checkpoints), streamed both ways so that no
 * operation holds a whole blob in memory. Keys are relative paths of the form {@link
 * BlobKeys#validate} accepts. A put replaces any blob under the same key, and a reader never sees a
 * partly written blob.
 *
 * <p>Implementations are thread-safe. {@link S3BlobStore} is what production uses; {@link
 * FilesystemBlobStore} serves one machine.
 */
public interface BlobStore extends AutoCloseable {

  /** Marks a stream of unknown length for {@link #put}. */
  long UNKNOWN_LENGTH = -1;

  /**
   * Stores the rest of {@code in} under {@code key}; {@code in} is read to its end but not closed.
   *
   * @param length the number of bytes {@code in} will give, or {@link #UNKNOWN_LENGTH}
   * @param contentType MIME type kept with the blob where the store supports it
   * @return the key, the byte count and the SHA-256 of what was stored
   * @throws BlobStoreException when the write fails or {@code in} gives other than {@code length}
   *     bytes; nothing is stored under {@code key} then
   */
  StoredBlob put(String key, InputStream in, long length, String contentType);

  /** Stores the contents of {@code file} under {@code key}. */
  default StoredBlob putFile(String key, Path file, String contentType) {
    try (InputStream in = Files.newInputStream(file)) {
      return put(key, in, Files.size(file), contentType);
    } catch (IOException e) {
      throw new BlobStoreException("cannot read " + file + " to store it as '" + key + "'", e);
    }
  }

  /**
   * Opens the blob for reading; the caller closes the stream.
   *
   * @throws BlobNotFoundException when there is no blob under {@code key}
   */
  InputStream open(String key);

  /**
   * Copies the blob to {@code target} (replaced atomically if present), for readers that want a
   * file, such as memory-mapped safetensors.
   *
   * @throws BlobNotFoundException when there is no blob under {@code key}
   */
  default void download(String key, Path target) {
    Path dir = target.toAbsolutePath().getParent();
    Path temp = null;
    try (InputStream in = open(key)) {
      Files.createDirectories(dir);
      temp = Files.createTempFile(dir, "." + target.getFileName(), ".part");
      Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      temp = null;
    } catch (IOException e) {
      throw new BlobStoreException("cannot download '" + key + "' to " + target, e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // the download already failed; a stray .part file is harmless
        }
      }
    }
  }

  boolean exists(String key);

  /**
   * The blob's length in bytes.
   *
   * @throws BlobNotFoundException when there is no blob under {@code key}
   */
  long size(String key);

  /** Keys that start with {@code prefix} (plain string prefix), in ascending order. */
  List<String> list(String prefix);

  /** Removes the blob; does nothing when there is none. */
  void delete(String key);

  /**
   * Copies the blob under {@code from} to {@code to}, replacing what {@code to} held.
   *
   * @throws BlobNotFoundException when there is no blob under {@code from}
   */
  void copy(String from, String to);

  /** Where this store keeps blobs, for messages: {@code s3://bucket at endpoint}, a folder. */
  String describe();

  /** Releases connections; the store is unusable afterwards. */
  @Override
  void close();
}
