package dev.vct.engine.tensor;

import java.util.Arrays;

/**
 * One header entry of a safetensors file.
 *
 * @param name tensor name as stored
 * @param dtype element type as stored (F16/BF16 are widened to float32 when loaded)
 * @param shape dimensions, outermost first
 * @param begin byte offset of the first element, relative to the start of the data section
 * @param end byte offset one past the last element, relative to the start of the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

  public TensorInfo {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements (1 for a scalar). */
  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Size of the stored data in bytes. */
  public long byteLength() {
    return end - begin;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && begin == t.begin
        && end == t.end;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
  }
}
