package dev.vct.storage.blob;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Blobs as files under a root folder, the key being the relative path. A put writes a temporary
 * file in {@code <root>/.staging}, forces it to disk and moves it into place atomically, so a
 * reader sees the old blob or the whole new one. Content types are not kept.
 */
public final class FilesystemBlobStore implements BlobStore {

  /** Keys cannot start with '.', so this folder never collides with a blob. */
  private static final String STAGING = ".staging";

  private final Path root;
  private final Path staging;

  /** Uses (and creates when missing) the folder {@code root}. */
  public FilesystemBlobStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
    this.staging = this.root.resolve(STAGING);
    try {
      Files.createDirectories(staging);
    } catch (IOException e) {
      throw new BlobStoreException(
          "cannot create the blob store folder "
              + staging
              + "; set vct.blob.filesystem.root to a writable folder",
          e);
    }
  }

  @Override
  public StoredBlob put(String key, InputStream in, long length, String contentType) {
    Path target = resolve(key);
    Path temp = null;
    try {
      temp = Files.createTempFile(staging, "put-", ".tmp");
      HashingInputStream hashing = new HashingInputStream(in);
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
          OutputStream out = Channels.newOutputStream(channel)) {
        hashing.transferTo(out);
        channel.force(true);
      }
      if (length != UNKNOWN_LENGTH && hashing.count() != length) {
        throw new BlobStoreException(
            "stream for '"
                + key
                + "' gave "
                + hashing.count()
                + " bytes but "
                + length
                + " were announced; nothing stored");
      }
      Files.createDirectories(target.getParent());
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      temp = null;
      return new StoredBlob(key, hashing.count(), hashing.sha256());
    } catch (IOException e) {
      throw new BlobStoreException("cannot store '" + key + "' in " + describe(), e);
    } finally {
      deleteQuietly(temp);
    }
  }

  @Override
  public InputStream open(String key) {
    try {
      return Files.newInputStream(resolve(key));
    } catch (NoSuchFileException e) {
      throw new BlobNotFoundException(key, describe());
    } catch (IOException e) {
      throw new BlobStoreException("cannot open '" + key + "' in " + describe(), e);
    }
  }

  @Override
  public boolean exists(String key) {
    return Files.isRegularFile(resolve(key));
  }

  @Override
  public long size(String key) {
    try {
      return Files.size(resolve(key));
    } catch (NoSuchFileException e) {
      throw new BlobNotFoundException(key, describe());
    } catch (IOException e) {
      throw new BlobStoreException("cannot read the size of '" + key + "' in " + describe(), e);
    }
  }

  @Override
  public List<String> list(String prefix) {
    BlobKeys.validatePrefix(prefix);
    // Walk only the deepest folder the prefix names in full.
    int slash = prefix.lastIndexOf('/');
    Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
    if (!Files.isDirectory(start)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(start, FileVisitOption.FOLLOW_LINKS)) {
      return files
          .filter(path -> !path.startsWith(staging))
          .filter(Files::isRegularFile)
          .map(this::keyOf)
          .filter(key -> key.startsWith(prefix))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new BlobStoreException("cannot list '" + prefix + "' in " + describe(), e);
    }
  }

  @Override
  public void delete(String key) {
    try {
      Files.deleteIfExists(resolve(key));
    } catch (IOException e) {
      throw new BlobStoreException("cannot delete '" + key + "' in " + describe(), e);
    }
  }

  @Override
  public void copy(String from, String to) {
    resolve(to);
    try (InputStream in = open(from)) {
      put(to, in, UNKNOWN_LENGTH, null);
    } catch (IOException e) {
      throw new BlobStoreException(
          "cannot copy '" + from + "' to '" + to + "' in " + describe(), e);
    }
  }

  @Override
  public String describe() {
    return "filesystem blob store " + root;
  }

  @Override
  public void close() {}

  private Path resolve(String key) {
    return root.resolve(BlobKeys.validate(key));
  }

  private String keyOf(Path file) {
    return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
  }

  private static void deleteQuietly(Path temp) {
    if (temp != null) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // the put already failed; a leftover staging file is never listed as a blob
      }
    }
  }
}
