package dev.vct.worker.engine;

import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.ImageReadException;
import dev.vct.inputs.image.RgbImage;
import dev.vct.storage.blob.BlobStore;
import dev.vct.worker.stage.StageException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Whole-blob reads and writes of the engine executors (images and embeddings fit in memory), and
 * the bridge to the engine's file-based safetensors readers and writers.
 */
final class Blobs {
  private static final String SAFETENSORS = "application/octet-stream";

  private Blobs() {}

  static byte[] read(BlobStore blobs, String key) {
    try (InputStream in = blobs.open(key)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read blob " + key + ": " + e.getMessage(), e);
    }
  }

  /** Decodes the PNG or JPEG blob {@code key}; one that is not a usable image is bad input. */
  static RgbImage readImage(BlobStore blobs, String key) {
    try {
      return ImageFiles.decode(read(blobs, key), key);
    } catch (ImageReadException e) {
      throw StageException.badInput(e.getMessage());
    }
  }

  static void write(BlobStore blobs, String key, byte[] bytes, String contentType) {
    blobs.put(key, new ByteArrayInputStream(bytes), bytes.length, contentType);
  }

  /** Reads the safetensors blob {@code key} with {@code load} (which reads a file). */
  static <T> T readSafetensors(BlobStore blobs, String key, Function<Path, T> load) {
    Path file = tempFile();
    try {
      Files.write(file, read(blobs, key));
      return load.apply(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stage blob " + key + " in " + file, e);
    } finally {
      delete(file);
    }
  }

  /** Stores what {@code save} writes to a file as the safetensors blob {@code key}. */
  static void writeSafetensors(BlobStore blobs, String key, Consumer<Path> save) {
    Path file = tempFile();
    try {
      save.accept(file);
      write(blobs, key, Files.readAllBytes(file), SAFETENSORS);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read back " + file + " for blob " + key, e);
    } finally {
      delete(file);
    }
  }

  private static Path tempFile() {
    try {
      return Files.createTempFile("vct-blob-", ".safetensors");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary file", e);
    }
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a leftover temporary file is harmless
    }
  }
}
