package dev.vct.engine.scoring;

import ai.djl.ndarray.NDArray;

/** Named weight tensors, each checked against the shape the model expects. */
@FunctionalInterface
interface TensorSource {

  /** The tensor stored under {@code key}; fails naming the key when absent or misshapen. */
  NDArray take(String key, long... expectedShape);
}
