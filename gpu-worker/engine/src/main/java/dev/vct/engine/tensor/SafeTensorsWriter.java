package dev.vct.engine.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes safetensors files: keys sorted, data laid out in key order, header padded with spaces to a
 * multiple of 8 bytes, optional {@code __metadata__}. The same entries always give the same bytes.
 * The file is written next to its target and moved into place when complete.
 *
 * <p>Entries are kept by reference until {@link #write(Path)}: NDArrays must stay open until then.
 */
public final class SafeTensorsWriter {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, Entry> entries = new TreeMap<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();

  /** One tensor to write: its stored type, shape and a way to produce its little-endian bytes. */
  private record Entry(DType dtype, long[] shape, long byteLength, BytesSource bytes) {}

  @FunctionalInterface
  private interface BytesSource {
    ByteBuffer get();
  }

  /** Writes {@code tensors} (stored in their own dtype) with no metadata. */
  public static void write(Path file, Map<String, NDArray> tensors) {
    write(file, tensors, Map.of());
  }

  /** Writes {@code tensors} (stored in their own dtype) and {@code metadata}. */
  public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
    SafeTensorsWriter writer = new SafeTensorsWriter();
    tensors.forEach(writer::put);
    metadata.forEach(writer::metadata);
    writer.write(file);
  }

  /** Adds an NDArray, stored in its own type (float32/16/64, int64/32, uint8). */
  public SafeTensorsWriter put(String name, NDArray array) {
    DType dtype = storedType(name, array.getDataType());
    long[] shape = array.getShape().getShape();
    long bytes = Math.multiplyExact(array.size(), (long) dtype.bytes());
    return add(name, new Entry(dtype, shape, bytes, array::toByteBuffer));
  }

  /** Adds float32 values stored as F32. */
  public SafeTensorsWriter put(String name, float[] data, long... shape) {
    checkCount(name, data.length, shape);
    return add(
        name,
        new Entry(
            DType.F32,
            shape.clone(),
            4L * data.length,
            () -> {
              ByteBuffer b = littleEndian(4L * data.length);
              b.asFloatBuffer().put(data);
              return b;
            }));
  }

  /** Adds float32 values rounded to nearest-even binary16 and stored as F16. */
  public SafeTensorsWriter putF16(String name, float[] data, long... shape) {
    checkCount(name, data.length, shape);
    return add(
        name,
        new Entry(
            DType.F16,
            shape.clone(),
            2L * data.length,
            () -> {
              ByteBuffer b = littleEndian(2L * data.length);
              for (int i = 0; i < data.length; i++) {
                b.putShort(2 * i, HalfFloats.floatToF16(data[i]));
              }
              return b;
            }));
  }

  /** Adds float32 values rounded to nearest-even bfloat16 and stored as BF16. */
  public SafeTensorsWriter putBF16(String name, float[] data, long... shape) {
    checkCount(name, data.length, shape);
    return add(
        name,
        new Entry(
            DType.BF16,
            shape.clone(),
            2L * data.length,
            () -> {
              ByteBuffer b = littleEndian(2L * data.length);
              for (int i = 0; i < data.length; i++) {
                b.putShort(2 * i, HalfFloats.floatToBf16(data[i]));
              }
              return b;
            }));
  }

  /** Adds int64 values stored as I64. */
  public SafeTensorsWriter put(String name, long[] data, long... shape) {
    checkCount(name, data.length, shape);
    return add(
        name,
        new Entry(
            DType.I64,
            shape.clone(),
            8L * data.length,
            () -> {
              ByteBuffer b = littleEndian(8L * data.length);
              b.asLongBuffer().put(data);
              return b;
            }));
  }

  /** Adds int32 values stored as I32. */
  public SafeTensorsWriter put(String name, int[] data, long... shape) {
    checkCount(name, data.length, shape);
    return add(
        name,
        new Entry(
            DType.I32,
            shape.clone(),
            4L * data.length,
            () -> {
              ByteBuffer b = littleEndian(4L * data.length);
              b.asIntBuffer().put(data);
              return b;
            }));
  }

  /** Adds one {@code __metadata__} entry. */
  public SafeTensorsWriter metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  /** Writes every entry to {@code file}, replacing it when it exists. */
  public void write(Path file) {
    byte[] header = header();
    Path dir = file.toAbsolutePath().getParent();
    Path partial = dir.resolve(file.getFileName() + ".partial");
    try {
      Files.createDirectories(dir);
      try (FileChannel out =
          FileChannel.open(
              partial,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        writeFully(out, littleEndian(8).putLong(0, header.length));
        writeFully(out, ByteBuffer.wrap(header));
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
          ByteBuffer data = e.getValue().bytes().get();
          if (data.remaining() != e.getValue().byteLength()) {
            throw new IllegalStateException(
                "tensor '"
                    + e.getKey()
                    + "' produced "
                    + data.remaining()
                    + " bytes, expected "
                    + e.getValue().byteLength());
          }
          writeFully(out, data);
        }
      }
      Files.move(
          partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new SafeTensorsException(file, "cannot write: " + e.getMessage(), e);
    }
  }

  private byte[] header() {
    ObjectNode root = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = root.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      Entry entry = e.getValue();
      ObjectNode node = root.putObject(e.getKey());
      node.put("dtype", entry.dtype().name());
      ArrayNode shape = node.putArray("shape");
      for (long d : entry.shape()) {
        shape.add(d);
      }
      node.putArray("data_offsets").add(offset).add(offset + entry.byteLength());
      offset += entry.byteLength();
    }
    String json;
    try {
      json = JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a safetensors header", e);
    }
    byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
    // pad with spaces so the data section starts 8-byte aligned
    int padded = (utf8.length + 7) / 8 * 8;
    byte[] out = Arrays.copyOf(utf8, padded);
    Arrays.fill(out, utf8.length, padded, (byte) ' ');
    return out;
  }

  private SafeTensorsWriter add(String name, Entry entry) {
    if (name.equals("__metadata__") || name.isEmpty()) {
      throw new IllegalArgumentException("invalid tensor name '" + name + "'");
    }
    if (entries.putIfAbsent(name, entry) != null) {
      throw new IllegalArgumentException("tensor '" + name + "' was added twice");
    }
    return this;
  }

  private static DType storedType(String name, DataType type) {
    return switch (type) {
      case FLOAT32 -> DType.F32;
      case FLOAT16 -> DType.F16;
      case FLOAT64 -> DType.F64;
      case INT64 -> DType.I64;
      case INT32 -> DType.I32;
      case UINT8 -> DType.U8;
      default ->
          throw new IllegalArgumentException(
              "tensor '" + name + "' has type " + type + ", which the writer does not store");
    };
  }

  private static void checkCount(String name, int length, long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "tensor '" + name + "' has a negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    if (n != length) {
      throw new IllegalArgumentException(
          "tensor '"
              + name
              + "' has "
              + length
              + " values but shape "
              + Arrays.toString(shape)
              + " needs "
              + n);
    }
  }

  private static ByteBuffer littleEndian(long bytes) {
    return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void writeFully(FileChannel out, ByteBuffer data) throws IOException {
    data = data.duplicate().order(data.order());
    while (data.hasRemaining()) {
      out.write(data);
    }
  }
}
