package dev.vct.engine.vct;

import dev.vct.engine.tensor.SafeTensors;
import dev.vct.engine.tensor.SafeTensorsWriter;
import dev.vct.engine.tensor.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The whole state of a stage as one safetensors file: float32 tensors (embeddings, optimizer
 * moments, latents), int64 tensors (counters, random state) and string metadata (the stage name and
 * its parameters, checked on load). Values are held in Java arrays, so writing and reading back is
 * exact.
 */
public final class StageCheckpoint {

  /** A float32 tensor. */
  public record Floats(float[] data, long[] shape) {
    public Floats {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      if (n != data.length) {
        throw new IllegalArgumentException(
            "shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
      }
    }
  }

  private static final String STAGE = "stage";

  private final Map<String, Floats> floats = new TreeMap<>();
  private final Map<String, long[]> longs = new TreeMap<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();

  /** An empty checkpoint of {@code stage}. */
  public StageCheckpoint(String stage) {
    metadata.put(STAGE, stage);
  }

  private StageCheckpoint() {}

  public String stage() {
    return metadata.get(STAGE);
  }

  public StageCheckpoint put(String name, float[] data, long... shape) {
    floats.put(name, new Floats(data.clone(), shape.clone()));
    return this;
  }

  public StageCheckpoint putLongs(String name, long... values) {
    longs.put(name, values.clone());
    return this;
  }

  public StageCheckpoint putMetadata(String key, String value) {
    if (key.equals(STAGE)) {
      throw new IllegalArgumentException("'" + STAGE + "' is reserved");
    }
    metadata.put(key, value);
    return this;
  }

  public boolean has(String name) {
    return floats.containsKey(name) || longs.containsKey(name);
  }

  /** A float tensor's values; fails naming the tensor when absent. */
  public float[] floats(String name) {
    Floats f = floats.get(name);
    if (f == null) {
      throw missing(name);
    }
    return f.data().clone();
  }

  public long[] shape(String name) {
    Floats f = floats.get(name);
    if (f == null) {
      throw missing(name);
    }
    return f.shape().clone();
  }

  public long[] longs(String name) {
    long[] v = longs.get(name);
    if (v == null) {
      throw missing(name);
    }
    return v.clone();
  }

  public long longValue(String name) {
    long[] v = longs(name);
    if (v.length != 1) {
      throw new IllegalStateException(
          "checkpoint of " + stage() + ": '" + name + "' holds " + v.length + " values, not one");
    }
    return v[0];
  }

  public String metadata(String key) {
    String v = metadata.get(key);
    if (v == null) {
      throw new IllegalStateException(
          "checkpoint of " + stage() + " has no metadata '" + key + "'");
    }
    return v;
  }

  /**
   * Checks that this checkpoint belongs to {@code stage} with parameters {@code parameters}: a
   * resume with other knobs would silently mix two computations.
   */
  public void requireStage(String stage, String parameters) {
    if (!stage.equals(stage())) {
      throw new IllegalArgumentException(
          "the checkpoint is of stage '" + stage() + "', not '" + stage + "'");
    }
    String saved = metadata.get("parameters");
    if (!parameters.equals(saved)) {
      throw new IllegalArgumentException(
          "the checkpoint of "
              + stage
              + " was made with other parameters ("
              + saved
              + ") than this run ("
              + parameters
              + "); resume with the same options or start afresh");
    }
  }

  /** Writes the checkpoint atomically (a partial file is moved into place when complete). */
  public void write(Path file) {
    SafeTensorsWriter writer = new SafeTensorsWriter();
    floats.forEach((name, f) -> writer.put(name, f.data(), f.shape()));
    longs.forEach((name, v) -> writer.put(name, v, v.length));
    metadata.forEach(writer::metadata);
    writer.write(file);
  }

  /** The checkpoint as the bytes of a safetensors file (for blob stores). */
  public byte[] toBytes() {
    Path tmp = tempFile();
    try {
      write(tmp);
      return Files.readAllBytes(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read back the checkpoint written to " + tmp, e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /** Reads a checkpoint written by {@link #write}. */
  public static StageCheckpoint read(Path file) {
    StageCheckpoint c = new StageCheckpoint();
    try (SafeTensors st = SafeTensors.open(file)) {
      c.metadata.putAll(st.metadata());
      if (!c.metadata.containsKey(STAGE)) {
        throw new IllegalArgumentException(
            file + " is not a stage checkpoint (no 'stage' metadata)");
      }
      for (String name : st.names()) {
        TensorInfo info = st.info(name);
        switch (info.dtype()) {
          case F32 -> c.floats.put(name, new Floats(st.floats(name), info.shape()));
          case I64 -> c.longs.put(name, st.longs(name));
          default ->
              throw new IllegalArgumentException(
                  file + ": tensor '" + name + "' has dtype " + info.dtype() + " (F32/I64 only)");
        }
      }
    }
    return c;
  }

  /** Reads a checkpoint from the bytes of {@link #toBytes()}. */
  public static StageCheckpoint fromBytes(byte[] bytes) {
    Path tmp = tempFile();
    try {
      Files.write(tmp, bytes);
      return read(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stage checkpoint bytes in " + tmp, e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  private IllegalStateException missing(String name) {
    return new IllegalStateException(
        "checkpoint of " + stage() + " has no tensor '" + name + "' (written by another version?)");
  }

  private static Path tempFile() {
    try {
      return Files.createTempFile("vct-checkpoint-", ".safetensors");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary checkpoint file", e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a leftover temporary file is harmless
    }
  }
}
