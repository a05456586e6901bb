package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.tensor.MissingWeightException;
import dev.vct.engine.tensor.StateDict;
import dev.vct.engine.tensor.UnusedWeightsException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Weights from a checkpoint's {@link StateDict}, loaded into a manager. Missing keys and shape
 * mismatches do not stop the build at the first one: the model is built to the end and {@link
 * #verify()} then names every missing, mis-shaped and unexpected key at once.
 */
public final class CheckpointWeights implements WeightSource {
  private final StateDict stateDict;
  private final NDManager manager;
  private final List<String> missing = new ArrayList<>();
  private final List<String> misshapen = new ArrayList<>();
  private final Set<String> misshapenKeys = new HashSet<>();

  public CheckpointWeights(StateDict stateDict, NDManager manager) {
    this.stateDict = stateDict;
    this.manager = manager;
  }

  @Override
  public NDArray take(String key, long... shape) {
    if (!stateDict.contains(key)) {
      missing.add(stateDict.prefix() + key);
      return placeholder(shape);
    }
    long[] stored = stateDict.info(key).shape();
    if (!Arrays.equals(stored, shape)) {
      misshapenKeys.add(stateDict.prefix() + key);
      misshapen.add(
          stateDict.prefix()
              + key
              + " (checkpoint "
              + Arrays.toString(stored)
              + ", config "
              + Arrays.toString(shape)
              + ")");
      return placeholder(shape);
    }
    return stateDict.take(key, manager, shape);
  }

  private NDArray placeholder(long[] shape) {
    return manager.zeros(new Shape()).broadcast(new Shape(shape));
  }

  @Override
  public boolean contains(String key) {
    return stateDict.contains(key);
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  /**
   * Fails unless every key the model asked for was present with its shape and every key of the
   * checkpoint was used; the message lists all offending keys.
   */
  public void verify() {
    List<String> unexpected = List.of();
    try {
      stateDict.requireAllUsed();
    } catch (UnusedWeightsException e) {
      if (missing.isEmpty() && misshapen.isEmpty()) {
        throw e;
      }
      // a mis-shaped key is reported once, as mis-shaped, not also as unused
      unexpected = e.keys().stream().filter(k -> !misshapenKeys.contains(k)).toList();
    }
    if (missing.isEmpty() && misshapen.isEmpty()) {
      return;
    }
    StringBuilder message =
        new StringBuilder("the checkpoint does not match the model config (wrong config.json?)");
    if (!missing.isEmpty()) {
      message.append("; missing ").append(missing.size()).append(": ").append(missing);
    }
    if (!misshapen.isEmpty()) {
      message.append("; wrong shape ").append(misshapen.size()).append(": ").append(misshapen);
    }
    if (!unexpected.isEmpty()) {
      message.append("; unexpected ").append(unexpected.size()).append(": ").append(unexpected);
    }
    throw new MissingWeightException(message.toString());
  }
}
