package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Computes attention like {@link DefaultAttentionProcessor} and keeps a detached copy of every
 * probability tensor it sees, as (batch * heads, queries, keys) with row {@code b * heads + h}
 * (diffusers' layout). The copies belong to this recorder's own manager, so they outlive the
 * caller's per-step scope and are freed by {@link #close()}.
 */
public final class RecordingAttentionProcessor implements AttentionProcessor, AutoCloseable {

  /** One recorded call: the layer, the caller's step, and its probabilities. */
  public record Recording(String path, int step, NDArray probabilities) {}

  private final NDManager manager;
  private final List<Recording> recordings = new ArrayList<>();

  /** Records onto a sub-manager of {@code parent}. */
  public RecordingAttentionProcessor(NDManager parent) {
    this.manager = parent.newSubManager();
  }

  @Override
  public NDArray attend(AttentionCall call) {
    NDArray probabilities = call.probabilities();
    NDArray copy = probabilities.stopGradient().duplicate();
    Scoped.keep(copy, manager);
    synchronized (recordings) {
      recordings.add(new Recording(call.path(), call.context().step(), copy));
    }
    return call.weightedValues(probabilities);
  }

  /** Every call recorded so far, in call order. */
  public List<Recording> recordings() {
    synchronized (recordings) {
      return List.copyOf(recordings);
    }
  }

  /** The probabilities recorded for one layer, in call order. */
  public List<NDArray> probabilities(String path) {
    return recordings().stream()
        .filter(r -> r.path().equals(path))
        .map(Recording::probabilities)
        .toList();
  }

  @Override
  public void close() {
    synchronized (recordings) {
      recordings.clear();
    }
    manager.close();
  }
}
