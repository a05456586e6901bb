package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link WeightSource} that has no weights: it records every key a model asks for with its
 * expected shape and hands out zero-filled broadcast views (4 bytes each, whatever the shape), so a
 * model can be built from its config alone to list the checkpoint it expects (the SD-1.5 UNet
 * without its 3.4 GB). Such a model is only for inspection.
 */
public final class WeightShapes implements WeightSource, AutoCloseable {
  private final NDManager manager;
  private final Map<String, Shape> shapes = new LinkedHashMap<>();

  public WeightShapes(NDManager parent) {
    this.manager = parent.newSubManager();
  }

  @Override
  public NDArray take(String key, long... shape) {
    Shape previous = shapes.putIfAbsent(key, new Shape(shape));
    if (previous != null) {
      throw new IllegalStateException("weight '" + key + "' was asked for twice");
    }
    return manager.zeros(new Shape()).broadcast(new Shape(shape));
  }

  /** No key is stored: the model builds with its default key style. */
  @Override
  public boolean contains(String key) {
    return false;
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  /** Key to shape, in the order the model asked for them. */
  public Map<String, Shape> shapes() {
    return Collections.unmodifiableMap(shapes);
  }

  @Override
  public void close() {
    manager.close();
  }
}
