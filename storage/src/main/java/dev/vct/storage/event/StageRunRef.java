package dev.vct.storage.event;

import dev.vct.storage.job.Stage;
import java.util.Objects;
import java.util.UUID;

/** Which attempt of which stage run of which job a stage message is about. */
public record StageRunRef(UUID jobId, UUID stageRunId, Stage stage, int attempt) {
  public StageRunRef {
    check(jobId, stageRunId, stage, attempt);
  }

  /** The checks of the four fields, shared by every stage message (through EventChecks). */
  static void check(UUID jobId, UUID stageRunId, Stage stage, int attempt) {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(stageRunId, "stageRunId");
    Objects.requireNonNull(stage, "stage");
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt numbers start at 1, got " + attempt);
    }
  }
}
