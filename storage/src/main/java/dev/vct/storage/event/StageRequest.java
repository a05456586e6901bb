package dev.vct.storage.event;

import dev.vct.storage.job.Stage;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Run one attempt of one stage: from the orchestrator to the workers on the stage's topic ({@link
 * Topics#forStage}).
 *
 * @param inputKeys blobs the stage reads, by role
 * @param outputKeys where the stage writes its results, by role (content-addressed for embeddings,
 *     so a later job can reuse them)
 * @param parameters the job's translation parameters
 * @param resumeFromCheckpoint the latest checkpoint of an earlier attempt to resume from, or null
 *     to start afresh
 * @param deadline when the orchestrator gives this attempt up; a worker should not start after it
 */
public record StageRequest(
    UUID eventId,
    Instant occurredAt,
    UUID jobId,
    UUID stageRunId,
    Stage stage,
    int attempt,
    Map<BlobRole, String> inputKeys,
    Map<BlobRole, String> outputKeys,
    Map<String, Object> parameters,
    String resumeFromCheckpoint,
    String modelId,
    long seed,
    Instant deadline)
    implements VctEvent {

  public StageRequest {
    EventChecks.stageMessage(eventId, occurredAt, jobId, stageRunId, stage, attempt);
    inputKeys = Map.copyOf(Objects.requireNonNull(inputKeys, "inputKeys"));
    outputKeys = Map.copyOf(Objects.requireNonNull(outputKeys, "outputKeys"));
    // JSON parameters may hold nulls, which Map.copyOf rejects.
    parameters =
        Collections.unmodifiableMap(
            new LinkedHashMap<>(Objects.requireNonNull(parameters, "parameters")));
    Objects.requireNonNull(modelId, "modelId");
    Objects.requireNonNull(deadline, "deadline");
  }

  public static StageRequest of(
      StageRunRef run,
      Map<BlobRole, String> inputKeys,
      Map<BlobRole, String> outputKeys,
      Map<String, Object> parameters,
      String resumeFromCheckpoint,
      String modelId,
      long seed,
      Instant deadline) {
    return new StageRequest(
        UUID.randomUUID(),
        Instant.now(),
        run.jobId(),
        run.stageRunId(),
        run.stage(),
        run.attempt(),
        inputKeys,
        outputKeys,
        parameters,
        resumeFromCheckpoint,
        modelId,
        seed,
        deadline);
  }

  public StageRunRef run() {
    return new StageRunRef(jobId, stageRunId, stage, attempt);
  }

  /** The key of the input blob of {@code role}, or an exception naming the missing role. */
  public String input(BlobRole role) {
    String key = inputKeys.get(role);
    if (key == null) {
      throw new IllegalArgumentException(
          stage.code() + " request for job " + jobId + " names no " + role.code() + " input");
    }
    return key;
  }

  /** The key to write the output of {@code role} to, or an exception naming the missing role. */
  public String output(BlobRole role) {
    String key = outputKeys.get(role);
    if (key == null) {
      throw new IllegalArgumentException(
          stage.code() + " request for job " + jobId + " names no " + role.code() + " output");
    }
    return key;
  }
}
