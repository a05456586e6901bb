package dev.vct.engine.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reader of one safetensors file: an 8-byte little-endian header length N, N bytes of JSON header
 * {@code {name: {dtype, shape, data_offsets}, "__metadata__": {...}}}, then the raw little-endian
 * data. The header is validated completely when the file is opened. A data section of up to {@value
 * #READ_WHOLE_BYTES} bytes is read at once on the first load and each tensor copied from that; in a
 * larger file each tensor is memory-mapped on its own when loaded, with 64-bit offsets, so files
 * over 2 GiB work. (Mapping hundreds of small tensors one by one cost a system call and page faults
 * each: most of a tiny model's load time.)
 */
public final class SafeTensors implements TensorSource {

  /** Headers larger than this are rejected as corrupt (the Rust reference uses the same cap). */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Elements widened per bulk copy. */
  private static final int CHUNK = 1 << 16;

  private static final String METADATA_KEY = "__metadata__";

  /** Data sections up to this size are read whole instead of mapped tensor by tensor. */
  static final long READ_WHOLE_BYTES = 64L * 1024 * 1024;

  private final Path file;
  private final FileChannel channel;
  private final long dataStart;
  private final long dataLength;
  private final boolean readWhole; // the data section is small enough to be read at once
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;
  private ByteBuffer data; // the whole data section once read (small files only); guarded by this

  private SafeTensors(
      Path file,
      FileChannel channel,
      long dataStart,
      long dataLength,
      boolean readWhole,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata) {
    this.file = file;
    this.channel = channel;
    this.dataStart = dataStart;
    this.dataLength = dataLength;
    this.readWhole = readWhole;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Opens and validates {@code file}; throws {@link SafeTensorsException} when it is corrupt. */
  public static SafeTensors open(Path file) {
    return open(file, READ_WHOLE_BYTES);
  }

  /** {@link #open(Path)} reading data sections up to {@code readWholeBytes} at once. */
  static SafeTensors open(Path file, long readWholeBytes) {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new SafeTensorsException(file, "no such file");
    } catch (IOException e) {
      throw new SafeTensorsException(file, "cannot open: " + e.getMessage(), e);
    }
    try {
      return parse(file, channel, readWholeBytes);
    } catch (RuntimeException e) {
      closeQuietly(channel, e);
      throw e;
    } catch (IOException e) {
      closeQuietly(channel, e);
      throw new SafeTensorsException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  private static SafeTensors parse(Path file, FileChannel channel, long readWholeBytes)
      throws IOException {
    long fileSize = channel.size();
    if (fileSize < 8) {
      throw new SafeTensorsException(
          file, "truncated: " + fileSize + " bytes, shorter than the 8-byte header length");
    }
    ByteBuffer lengthBytes = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = lengthBytes.getLong(0);
    if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
      throw new SafeTensorsException(
          file,
          "header length "
              + Long.toUnsignedString(headerLength)
              + " is not within 1.."
              + MAX_HEADER_BYTES
              + " (not a safetensors file?)");
    }
    if (8 + headerLength > fileSize) {
      throw new SafeTensorsException(
          file,
          "truncated: header says "
              + headerLength
              + " header bytes but the file has only "
              + (fileSize - 8)
              + " after the length");
    }
    ByteBuffer headerBytes = readFully(channel, 8, (int) headerLength);
    String headerText = StandardCharsets.UTF_8.decode(headerBytes).toString();
    JsonNode header;
    try {
      header = JSON.readTree(headerText);
    } catch (JsonProcessingException e) {
      throw new SafeTensorsException(
          file, "header is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (header == null || !header.isObject()) {
      throw new SafeTensorsException(file, "header is not a JSON object");
    }
    long dataStart = 8 + headerLength;
    long dataLength = fileSize - dataStart;
    Map<String, String> metadata = new LinkedHashMap<>();
    Map<String, TensorInfo> tensors = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (field.getKey().equals(METADATA_KEY)) {
        readMetadata(file, field.getValue(), metadata);
      } else {
        TensorInfo info = readEntry(file, field.getKey(), field.getValue(), dataLength);
        tensors.put(info.name(), info);
      }
    }
    checkLayout(file, tensors, dataLength);
    return new SafeTensors(
        file,
        channel,
        dataStart,
        dataLength,
        dataLength <= readWholeBytes,
        Collections.unmodifiableMap(tensors),
        Collections.unmodifiableMap(metadata));
  }

  private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
    if (!node.isObject()) {
      throw new SafeTensorsException(file, "__metadata__ is not a JSON object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new SafeTensorsException(
            file, "__metadata__ value of '" + e.getKey() + "' is not a string: " + e.getValue());
      }
      out.put(e.getKey(), e.getValue().asText());
    }
  }

  private static TensorInfo readEntry(Path file, String name, JsonNode node, long dataLength) {
    if (!node.isObject()) {
      throw new SafeTensorsException(
          file, "header entry of tensor '" + name + "' is not an object");
    }
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw new SafeTensorsException(file, "tensor '" + name + "' has no dtype string");
    }
    DType dtype = DType.parse(dtypeNode.asText());
    if (dtype == null) {
      throw new SafeTensorsException(
          file, "tensor '" + name + "' has unknown dtype '" + dtypeNode.asText() + "'");
    }
    JsonNode shapeNode = node.get("shape");
    if (shapeNode == null || !shapeNode.isArray()) {
      throw new SafeTensorsException(file, "tensor '" + name + "' has no shape array");
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
        throw new SafeTensorsException(
            file, "tensor '" + name + "' has an invalid dimension " + d + " in shape " + shapeNode);
      }
      shape[i] = d.asLong();
    }
    JsonNode offsets = node.get("data_offsets");
    if (offsets == null
        || !offsets.isArray()
        || offsets.size() != 2
        || !offsets.get(0).isIntegralNumber()
        || !offsets.get(1).isIntegralNumber()
        || !offsets.get(0).canConvertToLong()
        || !offsets.get(1).canConvertToLong()) {
      throw new SafeTensorsException(
          file, "tensor '" + name + "' needs data_offsets [begin, end], found " + offsets);
    }
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    if (begin < 0 || end < begin) {
      throw new SafeTensorsException(
          file, "tensor '" + name + "' has invalid data_offsets [" + begin + ", " + end + "]");
    }
    if (end > dataLength) {
      throw new SafeTensorsException(
          file,
          "truncated: tensor '"
              + name
              + "' ends at data offset "
              + end
              + " but the data section has only "
              + dataLength
              + " bytes");
    }
    TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
    long expected;
    try {
      expected = Math.multiplyExact(info.elementCount(), dtype.bytes());
    } catch (ArithmeticException e) {
      throw new SafeTensorsException(file, "tensor '" + name + "' has an overflowing shape");
    }
    if (expected != end - begin) {
      throw new SafeTensorsException(
          file,
          "tensor '"
              + name
              + "' is "
              + dtype
              + java.util.Arrays.toString(shape)
              + " = "
              + expected
              + " bytes but its data_offsets span "
              + (end - begin));
    }
    return info;
  }

  /** Tensors must tile the data section exactly: no overlaps, no holes, nothing trailing. */
  private static void checkLayout(Path file, Map<String, TensorInfo> tensors, long dataLength) {
    List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
    byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long position = 0;
    TensorInfo previous = null;
    for (TensorInfo t : byOffset) {
      if (t.begin() < position) {
        throw new SafeTensorsException(
            file,
            "tensors '" + previous.name() + "' and '" + t.name() + "' overlap in the data section");
      }
      if (t.begin() > position) {
        throw new SafeTensorsException(
            file,
            "hole in the data section: bytes "
                + position
                + ".."
                + t.begin()
                + " belong to no tensor (before '"
                + t.name()
                + "')");
      }
      position = t.end();
      previous = t;
    }
    if (position != dataLength) {
      throw new SafeTensorsException(
          file,
          "data section has "
              + dataLength
              + " bytes but the tensors cover only "
              + position
              + " (trailing garbage or a wrong header)");
    }
  }

  /** The file this reader was opened on. */
  public Path file() {
    return file;
  }

  @Override
  public String origin() {
    return file.toString();
  }

  /** Tensor names, sorted. */
  @Override
  public Set<String> names() {
    return tensors.keySet();
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** Header entry of {@code name}; throws {@link SafeTensorsException} when absent. */
  @Override
  public TensorInfo info(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new SafeTensorsException(file, "no tensor named '" + name + "'");
    }
    return info;
  }

  /** The {@code __metadata__} map of the header (empty when absent). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * Loads one tensor into {@code manager}: F32, F16 and BF16 as float32; I64 as int64; I32 as
   * int32; U8 as uint8. The array owns its memory (nothing aliases the mapped file).
   */
  @Override
  public NDArray load(String name, NDManager manager) {
    TensorInfo info = info(name);
    Shape shape = new Shape(info.shape());
    if (info.dtype() == DType.F16) {
      // torch widens fp16 exactly and about 2x faster than Java (measured, 32M values)
      try (NDArray half = manager.create(map(info), shape, DataType.FLOAT16)) {
        return half.toType(DataType.FLOAT32, true);
      }
    }
    NDArray view =
        switch (info.dtype()) {
          case F32 -> manager.create(map(info), shape, DataType.FLOAT32);
          case BF16 -> manager.create(widened(info), shape, DataType.FLOAT32);
          case I64 -> manager.create(map(info), shape, DataType.INT64);
          case I32 -> manager.create(map(info), shape, DataType.INT32);
          case U8 -> manager.create(map(info), shape, DataType.UINT8);
          default -> throw unsupported(info, "load");
        };
    // DJL may alias the buffer it was given; a duplicate is owned by torch alone.
    NDArray owned = view.duplicate();
    view.close();
    return owned;
  }

  /** F32, F16 or BF16 tensor as float32 values, row-major. */
  @Override
  public float[] floats(String name) {
    return floats(info(name));
  }

  /** I64 or I32 tensor as long values, row-major. */
  public long[] longs(String name) {
    TensorInfo info = info(name);
    if (info.dtype() == DType.I32) {
      int[] ints = ints(info);
      long[] out = new long[ints.length];
      for (int i = 0; i < ints.length; i++) {
        out[i] = ints[i];
      }
      return out;
    }
    return longs(info);
  }

  private float[] floats(TensorInfo info) {
    ByteBuffer bytes = map(info);
    float[] out = new float[arrayLength(info)];
    switch (info.dtype()) {
      case F32 -> bytes.asFloatBuffer().get(out);
      case F16, BF16 -> {
        short[] halves = new short[out.length];
        bytes.asShortBuffer().get(halves);
        boolean f16 = info.dtype() == DType.F16;
        for (int i = 0; i < out.length; i++) {
          out[i] = f16 ? HalfFloats.f16ToFloat(halves[i]) : HalfFloats.bf16ToFloat(halves[i]);
        }
      }
      default -> throw unsupported(info, "read as floats");
    }
    return out;
  }

  private long[] longs(TensorInfo info) {
    if (info.dtype() != DType.I64) {
      throw unsupported(info, "read as longs");
    }
    long[] out = new long[arrayLength(info)];
    map(info).asLongBuffer().get(out);
    return out;
  }

  private int[] ints(TensorInfo info) {
    if (info.dtype() != DType.I32) {
      throw unsupported(info, "read as ints");
    }
    int[] out = new int[arrayLength(info)];
    map(info).asIntBuffer().get(out);
    return out;
  }

  private int arrayLength(TensorInfo info) {
    if (info.elementCount() > Integer.MAX_VALUE - 8) {
      throw new SafeTensorsException(
          file,
          "tensor '"
              + info.name()
              + "' has "
              + info.elementCount()
              + " elements, too many for Java");
    }
    return (int) info.elementCount();
  }

  /**
   * One tensor's bytes, little-endian: a view of the data section read whole (small files), else a
   * mapping that may start anywhere in a file of any size.
   */
  private ByteBuffer map(TensorInfo info) {
    if (readWhole) {
      return wholeData()
          .slice((int) info.begin(), (int) info.byteLength())
          .order(ByteOrder.LITTLE_ENDIAN);
    }
    if (info.byteLength() > Integer.MAX_VALUE) {
      throw new SafeTensorsException(
          file,
          "tensor '"
              + info.name()
              + "' is "
              + info.byteLength()
              + " bytes; one tensor over 2 GiB is not supported");
    }
    try {
      return channel
          .map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteLength())
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new SafeTensorsException(
          file, "cannot map tensor '" + info.name() + "': " + e.getMessage(), e);
    }
  }

  /**
   * The data section, read with one call the first time (a direct buffer: torch copies from it).
   */
  private synchronized ByteBuffer wholeData() {
    if (data == null) {
      ByteBuffer buffer = ByteBuffer.allocateDirect((int) dataLength);
      try {
        while (buffer.hasRemaining()) {
          if (channel.read(buffer, dataStart + buffer.position()) < 0) {
            throw new IOException("unexpected end of file");
          }
        }
      } catch (IOException e) {
        throw new SafeTensorsException(file, "cannot read the tensors: " + e.getMessage(), e);
      }
      data = buffer.flip().asReadOnlyBuffer();
    }
    return data;
  }

  /** BF16 widened to float32 in a native-order direct buffer (bf16 arrays abort DJL). */
  private ByteBuffer widened(TensorInfo info) {
    var shorts = map(info).asShortBuffer();
    int n = arrayLength(info);
    ByteBuffer out =
        ByteBuffer.allocateDirect(Math.multiplyExact(n, 4)).order(ByteOrder.nativeOrder());
    FloatBuffer floats = out.asFloatBuffer();
    short[] in = new short[Math.min(n, CHUNK)];
    float[] wide = new float[in.length];
    for (int done = 0; done < n; done += in.length) {
      int len = Math.min(in.length, n - done);
      shorts.get(in, 0, len);
      for (int i = 0; i < len; i++) {
        wide[i] = HalfFloats.bf16ToFloat(in[i]);
      }
      floats.put(wide, 0, len);
    }
    return out;
  }

  private SafeTensorsException unsupported(TensorInfo info, String what) {
    return new SafeTensorsException(
        file,
        "cannot "
            + what
            + " tensor '"
            + info.name()
            + "' of dtype "
            + info.dtype()
            + " (supported: F32, F16, BF16, I64, I32"
            + (what.equals("load") ? ", U8" : "")
            + ")");
  }

  private static ByteBuffer readFully(FileChannel channel, long position, int length)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("unexpected end of file");
      }
    }
    return buffer.flip();
  }

  private static void closeQuietly(FileChannel channel, Exception primary) {
    try {
      channel.close();
    } catch (IOException e) {
      primary.addSuppressed(e);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new SafeTensorsException(file, "cannot close: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "SafeTensors[" + file + ", " + tensors.size() + " tensors]";
  }
}
