package dev.vct.engine.vct;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Moving stage state between Java arrays (what checkpoints hold) and torch-owned arrays. */
final class Tensors {
  private Tensors() {}

  /** A float32 array owned by torch (DJL's create may alias the Java array: STACK.md pitfall 6). */
  static NDArray floats(NDManager m, float[] data, long... shape) {
    NDArray view = m.create(data, new Shape(shape));
    NDArray owned = view.duplicate();
    view.close();
    return owned;
  }

  static NDArray longs(NDManager m, long[] data, long... shape) {
    NDArray view = m.create(data, new Shape(shape));
    NDArray owned = view.duplicate();
    view.close();
    return owned;
  }

  /** A torch-owned 0-d float32 constant (scalar shortcuts can corrupt gradients). */
  static NDArray scalar(NDManager m, float value) {
    return m.full(new Shape(), value, DataType.FLOAT32);
  }

  /** The values of a float array, row-major. */
  static float[] values(NDArray array) {
    return array.toType(DataType.FLOAT32, false).toFloatArray();
  }

  static long size(long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }
}
