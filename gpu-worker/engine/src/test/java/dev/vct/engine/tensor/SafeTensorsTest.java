package dev.vct.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

  private static NDManager manager;

  @TempDir Path dir;

  @BeforeAll
  static void startEngine() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void stopEngine() {
    manager.close();
  }

  @Test
  void ndArraysRoundTripWithNamesTypesShapesAndMetadata() {
    Path file = dir.resolve("model.safetensors");
    Map<String, NDArray> tensors = new TreeMap<>();
    tensors.put("b.weight", manager.arange(12f).reshape(3, 4));
    tensors.put("a.ids", manager.create(new long[] {49406, 320, 49407}));
    tensors.put("c.count", manager.create(new int[] {-7, 9}));
    tensors.put("d.scalar", manager.create(2.5f));
    SafeTensorsWriter.write(file, tensors, Map.of("format", "pt"));

    try (SafeTensors st = SafeTensors.open(file)) {
      assertEquals(List.of("a.ids", "b.weight", "c.count", "d.scalar"), List.copyOf(st.names()));
      assertEquals(Map.of("format", "pt"), st.metadata());
      assertEquals(DType.F32, st.info("b.weight").dtype());
      assertArrayEquals(new long[] {3, 4}, st.info("b.weight").shape());
      assertArrayEquals(new long[0], st.info("d.scalar").shape());
      NDArray w = st.load("b.weight", manager);
      assertEquals(DataType.FLOAT32, w.getDataType());
      assertEquals(new Shape(3, 4), w.getShape());
      assertArrayEquals(tensors.get("b.weight").toFloatArray(), w.toFloatArray());
      NDArray ids = st.load("a.ids", manager);
      assertEquals(DataType.INT64, ids.getDataType());
      assertArrayEquals(new long[] {49406, 320, 49407}, ids.toLongArray());
      assertEquals(DataType.INT32, st.load("c.count", manager).getDataType());
      assertArrayEquals(new int[] {-7, 9}, st.load("c.count", manager).toIntArray());
      assertArrayEquals(new long[] {-7, 9}, st.longs("c.count"));
      assertEquals(2.5f, st.load("d.scalar", manager).getFloat());
    }
  }

  /**
   * A small file's data section is read at once, a large one's tensors are mapped one by one: both
   * give the same arrays and values for every dtype.
   */
  @Test
  void readingTheDataSectionWholeAndMappingEachTensorGiveTheSameTensors() {
    Path file = dir.resolve("both.safetensors");
    new SafeTensorsWriter()
        .put("a", new float[] {0.5f, -1f, 3.25f, 7f, -0f, 1e-30f}, 2, 3)
        .putF16("b", new float[] {1f / 3, 65504f, -2f}, 3)
        .put("c", new long[] {1, -2, 3, 4}, 2, 2)
        .putBF16("d", new float[] {2.5f, -0.375f}, 2)
        .write(file);
    try (SafeTensors whole = SafeTensors.open(file);
        SafeTensors mapped = SafeTensors.open(file, 0)) {
      for (String name : List.of("a", "b", "d")) {
        NDArray w = whole.load(name, manager);
        NDArray m = mapped.load(name, manager);
        assertEquals(m.getShape(), w.getShape(), name);
        assertEquals(DataType.FLOAT32, w.getDataType(), name);
        assertArrayEquals(m.toFloatArray(), w.toFloatArray(), name);
        assertArrayEquals(mapped.floats(name), whole.floats(name), name);
      }
      assertArrayEquals(new long[] {1, -2, 3, 4}, whole.load("c", manager).toLongArray());
      assertArrayEquals(mapped.longs("c"), whole.longs("c"));
      assertArrayEquals(new float[] {0.5f, -1f, 3.25f, 7f, -0f, 1e-30f}, whole.floats("a"));
    }
  }

  @Test
  void loadedArraysOutliveTheFile() {
    Path file = dir.resolve("x.safetensors");
    new SafeTensorsWriter().put("x", new float[] {1, 2, 3}, 3).write(file);
    NDArray x;
    try (SafeTensors st = SafeTensors.open(file)) {
      x = st.load("x", manager);
    }
    System.gc();
    assertArrayEquals(new float[] {1, 2, 3}, x.toFloatArray());
  }

  @Test
  void rawArraysRoundTripAndHeaderIsSortedAlignedAndDeterministic() throws IOException {
    Path first = dir.resolve("first.safetensors");
    Path second = dir.resolve("second.safetensors");
    for (Path f : List.of(first, second)) {
      new SafeTensorsWriter()
          .put("z", new float[] {0.5f, -1f}, 2)
          .put("y", new long[] {1, 2, 3, 4}, 2, 2)
          .putF16("x", new float[] {1f / 3, 65504f, 1e-8f}, 3, 1)
          .metadata("format", "pt")
          .write(f);
    }
    byte[] bytes = Files.readAllBytes(first);
    assertArrayEquals(bytes, Files.readAllBytes(second));
    long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, (8 + headerLength) % 8, "data section starts 8-byte aligned");
    String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
    assertTrue(header.indexOf("\"x\"") < header.indexOf("\"y\""));
    assertTrue(header.indexOf("\"y\"") < header.indexOf("\"z\""));

    try (SafeTensors st = SafeTensors.open(first)) {
      assertArrayEquals(new float[] {0.5f, -1f}, st.floats("z"));
      assertArrayEquals(new long[] {1, 2, 3, 4}, st.longs("y"));
      assertEquals(DType.F16, st.info("x").dtype());
      // 1/3 rounds to the nearest binary16; 1e-8 is below half the smallest subnormal
      assertArrayEquals(new float[] {0.33325195f, 65504f, 0f}, st.floats("x"));
    }
  }

  @Test
  void bf16WideningIsExactForEveryBitPattern() throws IOException {
    short[] all = allShorts();
    Path file = rawFile("BF16", all);
    try (SafeTensors st = SafeTensors.open(file)) {
      float[] viaJava = st.floats("t");
      float[] viaEngine = st.load("t", manager).toFloatArray();
      for (int i = 0; i < all.length; i++) {
        float expected = Float.intBitsToFloat((all[i] & 0xffff) << 16);
        assertSameFloat(expected, viaJava[i], i);
        assertSameFloat(expected, viaEngine[i], i);
      }
    }
  }

  @Test
  void f16WideningMatchesTorchForEveryBitPattern() throws IOException {
    short[] all = allShorts();
    Path file = rawFile("F16", all);
    float[] torch;
    try (NDManager m = manager.newSubManager()) {
      ByteBuffer raw = ByteBuffer.allocateDirect(all.length * 2).order(ByteOrder.nativeOrder());
      raw.asShortBuffer().put(all);
      torch =
          m.create(raw, new Shape(all.length), DataType.FLOAT16)
              .toType(DataType.FLOAT32, false)
              .toFloatArray();
    }
    try (SafeTensors st = SafeTensors.open(file)) {
      float[] java = st.floats("t");
      float[] loaded = st.load("t", manager).toFloatArray();
      for (int i = 0; i < all.length; i++) {
        assertSameFloat(torch[i], java[i], i);
        assertSameFloat(torch[i], loaded[i], i);
        // and the writer's float32 -> binary16 rounding inverts it exactly
        if (!Float.isNaN(java[i])) {
          assertEquals(all[i], HalfFloats.floatToF16(java[i]), "pattern " + i);
        }
      }
    }
  }

  @Test
  void f16RoundingMatchesTorchOnRandomFloats() {
    java.util.Random random = new java.util.Random(3);
    float[] values = new float[100_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = Float.intBitsToFloat(random.nextInt());
      if (i % 2 == 0) {
        values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(12) - 8));
      }
    }
    short[] torch;
    try (NDManager m = manager.newSubManager()) {
      NDArray half = m.create(values).toType(DataType.FLOAT16, false);
      torch = new short[values.length];
      half.toByteBuffer().order(ByteOrder.nativeOrder()).asShortBuffer().get(torch);
    }
    for (int i = 0; i < values.length; i++) {
      if (!Float.isNaN(values[i])) {
        assertEquals(torch[i], HalfFloats.floatToF16(values[i]), "value " + values[i]);
      }
    }
  }

  @Test
  void corruptFilesAreRejectedNamingFileAndProblem() throws IOException {
    byte[] eight = new byte[8];
    assertRejected(bytes(new byte[3]), "shorter than the 8-byte header length");
    assertRejected(withLength(0, ""), "header length 0");
    assertRejected(withLength(1L << 40, "{}"), "header length");
    assertRejected(withLength(-1, "{}"), "header length");
    assertRejected(withLength(500, "{}"), "truncated: header says 500");
    assertRejected(file("{\"a\": ", eight), "not valid JSON");
    assertRejected(file("[1, 2]", eight), "not a JSON object");
    assertRejected(file("{\"t\": 5}", eight), "'t' is not an object");
    assertRejected(
        file("{\"t\":{\"dtype\":\"Q8\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight),
        "unknown dtype 'Q8'");
    assertRejected(
        file("{\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}}", eight), "'t' has no dtype");
    assertRejected(
        file("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", eight), "'t' has no shape");
    assertRejected(
        file("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight),
        "invalid dimension -2");
    assertRejected(
        file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", eight),
        "invalid dimension 2.5");
    assertRejected(
        file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", eight),
        "needs data_offsets");
    assertRejected(
        file("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", eight),
        "invalid data_offsets [8, 0]");
    assertRejected(
        file("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", eight),
        "truncated: tensor 't' ends at data offset 12 but the data section has only 8 bytes");
    assertRejected(
        file("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", eight),
        "F32[3] = 12 bytes but its data_offsets span 8");
    assertRejected(
        file(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
            eight),
        "'a' and 'b' overlap");
    assertRejected(
        file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight),
        "hole in the data section: bytes 0..4");
    assertRejected(
        file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", eight),
        "trailing garbage");
    assertRejected(
        file(
            "{\"__metadata__\":{\"format\":1},"
                + "\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            eight),
        "__metadata__ value of 'format' is not a string");
    assertRejected(dir.resolve("absent.safetensors"), "no such file");
  }

  @Test
  void truncatingAValidFileAnywhereIsDetected() throws IOException {
    Path good = dir.resolve("good.safetensors");
    new SafeTensorsWriter().put("w", new float[64], 8, 8).metadata("format", "pt").write(good);
    byte[] bytes = Files.readAllBytes(good);
    for (int cut : new int[] {0, 4, 8, 20, bytes.length - 100, bytes.length - 1}) {
      Path truncated = dir.resolve("cut" + cut + ".safetensors");
      Files.write(truncated, java.util.Arrays.copyOf(bytes, cut));
      SafeTensorsException e =
          assertThrows(SafeTensorsException.class, () -> SafeTensors.open(truncated).close());
      assertTrue(e.getMessage().startsWith(truncated.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }
  }

  @Test
  void tensorsBeyondTwoGibibytesAreReadWithSixtyFourBitOffsets() throws IOException {
    long gib = 1L << 30;
    // two 1 GiB fillers (never read) put the real tensor at data offset 2^31
    String header =
        "{\"filler.0\":{\"dtype\":\"F32\",\"shape\":[268435456],\"data_offsets\":[0,"
            + gib
            + "]},\"filler.1\":{\"dtype\":\"F32\",\"shape\":[268435456],\"data_offsets\":["
            + gib
            + ","
            + 2 * gib
            + "]},\"tail\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":["
            + 2 * gib
            + ","
            + (2 * gib + 16)
            + "]}}";
    Path file = dir.resolve("sparse.safetensors");
    // sparse where the filesystem supports it; otherwise it really needs the 2 GiB
    Assumptions.assumeTrue(
        Files.getFileStore(dir).getUsableSpace() > 3 * gib,
        "less than 3 GiB free in " + dir + " for a file over 2 GiB");
    byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    tail.asFloatBuffer().put(new float[] {1.5f, -2f, 3.25f, 4f});
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      raf.write(length.putLong(0, headerBytes.length).array());
      raf.write(headerBytes);
      raf.seek(8 + headerBytes.length + 2 * gib);
      raf.write(tail.array());
    }
    try (SafeTensors st = SafeTensors.open(file)) {
      assertEquals(2 * gib, st.info("tail").begin());
      assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 4f}, st.floats("tail"));
      assertArrayEquals(
          new float[] {1.5f, -2f, 3.25f, 4f}, st.load("tail", manager).toFloatArray());
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void unsupportedTypesAreRejectedWhenRead() throws IOException {
    Path file = rawFile("I16", new short[] {1, 2});
    try (SafeTensors st = SafeTensors.open(file)) {
      SafeTensorsException e =
          assertThrows(SafeTensorsException.class, () -> st.load("t", manager));
      assertTrue(e.getMessage().contains("dtype I16"), e.getMessage());
      assertThrows(SafeTensorsException.class, () -> st.floats("t"));
      SafeTensorsException missing =
          assertThrows(SafeTensorsException.class, () -> st.info("nope"));
      assertTrue(missing.getMessage().contains("no tensor named 'nope'"));
    }
  }

  private static void assertSameFloat(float expected, float actual, int pattern) {
    if (Float.isNaN(expected)) {
      assertTrue(Float.isNaN(actual), "pattern " + pattern + " should be NaN");
    } else {
      assertEquals(
          Float.floatToRawIntBits(expected),
          Float.floatToRawIntBits(actual),
          "pattern " + pattern + ": " + expected + " vs " + actual);
    }
  }

  private static short[] allShorts() {
    short[] all = new short[1 << 16];
    for (int i = 0; i < all.length; i++) {
      all[i] = (short) i;
    }
    return all;
  }

  private Path rawFile(String dtype, short[] values) throws IOException {
    ByteBuffer data = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    data.asShortBuffer().put(values);
    return file(
        "{\"t\":{\"dtype\":\""
            + dtype
            + "\",\"shape\":["
            + values.length
            + "],\"data_offsets\":[0,"
            + values.length * 2
            + "]}}",
        data.array());
  }

  private int counter;

  private Path file(String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    return bytes(b.array());
  }

  private Path withLength(long length, String header) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(length).put(h);
    return bytes(b.array());
  }

  private Path bytes(byte[] content) throws IOException {
    Path f = dir.resolve("case" + counter++ + ".safetensors");
    Files.write(f, content);
    return f;
  }

  private static void assertRejected(Path file, String problem) {
    SafeTensorsException e =
        assertThrows(SafeTensorsException.class, () -> SafeTensors.open(file).close());
    assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
    assertTrue(
        e.getMessage().contains(problem), "expected '" + problem + "' in: " + e.getMessage());
  }
}
