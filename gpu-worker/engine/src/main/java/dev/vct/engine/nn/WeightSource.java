package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Where a block takes its weights from, by exact checkpoint key.
 *
 * <p>Blocks never guess names: each asks for the full key and the shape it expects, and the source
 * fails loudly (naming the key) when the tensor is absent or has another shape. The arrays returned
 * belong to {@link #manager()}, which also owns the constants the blocks create (0-d scale
 * factors), so closing that manager frees the whole model.
 */
public interface WeightSource {

  /** The tensor stored under {@code key}, which must have exactly {@code shape}. */
  NDArray take(String key, long... shape);

  /** Whether a tensor is stored under {@code key} (used only to tell key styles apart). */
  boolean contains(String key);

  /** The manager that owns the returned weights and the model's constants. */
  NDManager manager();
}
