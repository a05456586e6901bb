package dev.vct.orchestrator.graph;

import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRunStatus;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The state of one job's stage graph (content and concept inversion in parallel, then fusion, then
 * scoring, as {@link Stage#dependsOn()} says) and what may run next.
 */
public final class StagePlan {
  private final Map<Stage, StageRunStatus> statuses;

  public StagePlan(Map<Stage, StageRunStatus> statuses) {
    if (statuses.size() != Stage.values().length) {
      throw new IllegalArgumentException(
          "a job has one run of every stage " + List.of(Stage.values()) + ", got " + statuses);
    }
    this.statuses = new EnumMap<>(statuses);
  }

  /**
   * Stages to dispatch now: pending (and not waiting for a retry, which the caller filters) with
   * every stage they read from finished.
   */
  public List<Stage> ready() {
    return statuses.entrySet().stream()
        .filter(e -> e.getValue() == StageRunStatus.PENDING)
        .map(Map.Entry::getKey)
        .filter(stage -> stage.dependsOn().stream().allMatch(this::done))
        .toList();
  }

  /** True when every stage produced its output, by running or from the cache. */
  public boolean complete() {
    return statuses.keySet().stream().allMatch(this::done);
  }

  private boolean done(Stage stage) {
    StageRunStatus status = statuses.get(stage);
    return status == StageRunStatus.SUCCEEDED || status == StageRunStatus.SKIPPED;
  }
}
