package dev.vct.engine.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Set;

/** Named tensors a {@link StateDict} can take weights from: a safetensors file, or generated. */
public interface TensorSource extends AutoCloseable {

  /** Where the tensors come from, for messages (a file path, or a description). */
  String origin();

  /** Tensor names, sorted. */
  Set<String> names();

  /** Type and shape of {@code name}. */
  TensorInfo info(String name);

  /** {@code name} as an array of {@code manager} (floating types as float32). */
  NDArray load(String name, NDManager manager);

  /** A floating tensor's values as float32, row-major. */
  float[] floats(String name);

  @Override
  void close();
}
