package dev.vct.engine.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The weights of one model, from one or more safetensors files (shards), taken by exact checkpoint
 * key. Every key taken is recorded, so that after loading {@link #requireAllUsed()} can name the
 * tensors the model ignored. {@link #withPrefix(String)} gives a view for a sub-module that shares
 * this record.
 */
public final class StateDict implements AutoCloseable {

  private final List<TensorSource> files;
  private final Map<String, TensorSource> owner;
  private final Set<String> used;
  private final String prefix;
  private final boolean ownsFiles;

  private StateDict(
      List<TensorSource> files,
      Map<String, TensorSource> owner,
      Set<String> used,
      String prefix,
      boolean ownsFiles) {
    this.files = files;
    this.owner = owner;
    this.used = used;
    this.prefix = prefix;
    this.ownsFiles = ownsFiles;
  }

  /** Opens the given files as one state dict; a key present in two files is an error. */
  public static StateDict open(Path... files) {
    List<TensorSource> opened = new ArrayList<>();
    try {
      for (Path f : files) {
        opened.add(SafeTensors.open(f));
      }
      return of(opened, true);
    } catch (RuntimeException e) {
      opened.forEach(TensorSource::close);
      throw e;
    }
  }

  /** Wraps already open sources; {@link #close()} leaves them open. */
  public static StateDict of(TensorSource... files) {
    return of(List.of(files), false);
  }

  private static StateDict of(List<TensorSource> files, boolean ownsFiles) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("a state dict needs at least one tensor source");
    }
    Map<String, TensorSource> owner = new HashMap<>();
    for (TensorSource f : files) {
      for (String name : f.names()) {
        TensorSource previous = owner.putIfAbsent(name, f);
        if (previous != null) {
          throw new IllegalArgumentException(
              "tensor '" + name + "' is in both " + previous.origin() + " and " + f.origin());
        }
      }
    }
    return new StateDict(
        List.copyOf(files), owner, Collections.synchronizedSet(new TreeSet<>()), "", ownsFiles);
  }

  /** A view whose keys are relative to {@code prefix} (e.g. "down_blocks.0."); shares usage. */
  public StateDict withPrefix(String subPrefix) {
    return new StateDict(files, owner, used, prefix + subPrefix, false);
  }

  /** The prefix of this view ("" for the root). */
  public String prefix() {
    return prefix;
  }

  /** Whether {@code key} (relative to this view) exists. */
  public boolean contains(String key) {
    return owner.containsKey(prefix + key);
  }

  /** Keys under this view's prefix, relative to it, sorted. */
  public Set<String> keys() {
    return owner.keySet().stream()
        .filter(k -> k.startsWith(prefix))
        .map(k -> k.substring(prefix.length()))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** Header entry of {@code key} (relative to this view). */
  public TensorInfo info(String key) {
    return file(key).info(prefix + key);
  }

  /**
   * Loads {@code key} (relative to this view) into {@code manager} as float32 (or int64/int32) and
   * records it as used. With an expected shape, a tensor of another shape is rejected; with none,
   * any shape is accepted.
   */
  public NDArray take(String key, NDManager manager, long... expectedShape) {
    TensorSource file = file(key);
    String full = prefix + key;
    if (expectedShape.length > 0) {
      long[] actual = file.info(full).shape();
      if (!Arrays.equals(actual, expectedShape)) {
        throw new MissingWeightException(
            "weight '"
                + full
                + "' in "
                + file.origin()
                + " has shape "
                + Arrays.toString(actual)
                + " but the model config expects "
                + Arrays.toString(expectedShape)
                + " (do config.json and the weights belong together?)");
      }
    }
    NDArray array = file.load(full, manager);
    array.setName(full);
    used.add(full);
    return array;
  }

  /** Like {@link #take} but returns the values as float32 in a Java array. */
  public float[] takeFloats(String key, long... expectedShape) {
    TensorSource file = file(key);
    String full = prefix + key;
    if (expectedShape.length > 0 && !Arrays.equals(file.info(full).shape(), expectedShape)) {
      throw new MissingWeightException(
          "weight '"
              + full
              + "' in "
              + file.origin()
              + " has shape "
              + Arrays.toString(file.info(full).shape())
              + " but the model config expects "
              + Arrays.toString(expectedShape));
    }
    float[] values = file.floats(full);
    used.add(full);
    return values;
  }

  /** Fails naming every key under this view's prefix that no {@code take} has used. */
  public void requireAllUsed() {
    List<String> unused =
        owner.keySet().stream()
            .filter(k -> k.startsWith(prefix) && !used.contains(k))
            .sorted()
            .toList();
    if (!unused.isEmpty()) {
      throw new UnusedWeightsException(
          unused.size()
              + " weight(s) in "
              + describeFiles()
              + " were not used by the model (config and weights disagree?): "
              + String.join(", ", unused),
          unused);
    }
  }

  private TensorSource file(String key) {
    TensorSource file = owner.get(prefix + key);
    if (file == null) {
      throw new MissingWeightException(
          "weight '" + prefix + key + "' is missing from " + describeFiles());
    }
    return file;
  }

  private String describeFiles() {
    return files.size() == 1
        ? files.get(0).origin()
        : files.stream().map(TensorSource::origin).collect(Collectors.joining(", ", "[", "]"));
  }

  /** Closes the files this state dict opened itself (views close nothing). */
  @Override
  public void close() {
    if (ownsFiles) {
      files.forEach(TensorSource::close);
    }
  }
}
