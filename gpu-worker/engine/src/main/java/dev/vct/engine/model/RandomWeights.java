package dev.vct.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.tensor.DType;
import dev.vct.engine.tensor.TensorInfo;
import dev.vct.engine.tensor.TensorSource;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Random float32 weights for a checkpoint layout, drawn by torch's generator when taken (fast for
 * SD-1.5 sizes, not reproducible): for benchmarks, where only shapes and scales matter. {@code
 * init-tiny} writes seeded, reproducible weights instead.
 */
public final class RandomWeights implements TensorSource {

  private final String origin;
  private final Map<String, TensorInfo> infos = new TreeMap<>();

  public RandomWeights(String origin, CheckpointLayout layout) {
    this.origin = origin;
    layout
        .shapes()
        .forEach(
            (key, shape) -> {
              long n = 1;
              for (long d : shape) {
                n *= d;
              }
              infos.put(key, new TensorInfo(key, DType.F32, shape, 0, 4 * n));
            });
  }

  @Override
  public String origin() {
    return origin;
  }

  @Override
  public Set<String> names() {
    return Collections.unmodifiableSet(infos.keySet());
  }

  @Override
  public TensorInfo info(String name) {
    TensorInfo info = infos.get(name);
    if (info == null) {
      throw new IllegalArgumentException("no tensor named '" + name + "' in " + origin);
    }
    return info;
  }

  @Override
  public NDArray load(String name, NDManager manager) {
    long[] shape = info(name).shape();
    RandomInit init = RandomInit.forKey(name, shape);
    return manager.randomNormal(
        (float) init.mean(), (float) init.std(), new Shape(shape), DataType.FLOAT32);
  }

  @Override
  public float[] floats(String name) {
    try (NDManager scratch = NDManager.newBaseManager()) {
      return load(name, scratch).toFloatArray();
    }
  }

  @Override
  public void close() {}
}
