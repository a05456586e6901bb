package dev.vct.storage.event;

import dev.vct.storage.blob.BlobKeys;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.Scores;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRunStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** One event of every concrete type, with every field set to a telling value. */
final class SampleEvents {
  private SampleEvents() {}

  static List<VctEvent> all() {
    UUID job = UUID.randomUUID();
    UUID tenant = UUID.randomUUID();
    UUID run = UUID.randomUUID();
    StageRunRef ref = new StageRunRef(job, run, Stage.CONTENT_INVERSION, 3);
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("steps", 50);
    parameters.put("guidance_scale", 7.5);
    parameters.put("prompt", "a watercolor");
    parameters.put("negative_prompt", null);
    parameters.put("sizes", List.of(512, 512));
    List<VctEvent> events = new ArrayList<>();
    events.add(JobSubmitted.of(job, tenant));
    events.add(CancelRequest.of(job, tenant, "requested by the client"));
    events.add(CancelRequest.ofAttempt(ref, tenant, "attempt 3 was superseded by attempt 4"));
    events.add(
        StageRequest.of(
            ref,
            Map.of(BlobRole.SOURCE_IMAGE, BlobKeys.source(job, "png")),
            Map.of(BlobRole.CONTENT_EMBEDDING, "embeddings/content/" + "0f".repeat(32) + ".st"),
            parameters,
            BlobKeys.checkpoint(run, 120),
            "sd-1.5",
            -42L,
            Instant.parse("2030-01-02T03:04:05.123456789Z")));
    events.add(StageEvent.Started.of(ref, "worker-1", 120));
    events.add(StageEvent.Started.of(ref, "worker-2", null));
    events.add(StageEvent.Progress.of(ref, 121, 500, 0.03125));
    events.add(StageEvent.Progress.of(ref, 3, 50, null));
    events.add(StageEvent.Heartbeat.of(ref, "worker-1"));
    events.add(StageEvent.Checkpointed.of(ref, BlobKeys.checkpoint(run, 200), 200));
    events.add(
        StageEvent.Succeeded.of(
            ref,
            Map.of(BlobRole.CONTENT_EMBEDDING, "embeddings/content/x.safetensors"),
            Map.of("seconds", 812.5, "final_loss", 0.001)));
    events.add(
        StageEvent.Succeeded.of(
            ref,
            Map.of(BlobRole.CONTENT_EMBEDDING, "embeddings/content/x.safetensors"),
            Map.of("seconds", 0.004),
            new StageEvent.AttemptStart(
                "worker-1", Instant.parse("2030-01-02T03:04:05.000000001Z"), 120)));
    events.add(StageEvent.Failed.of(ref, "out_of_memory", "CUDA out of memory", true));
    events.add(StageEvent.Cancelled.of(ref));
    events.add(StageEvent.Released.of(ref, "worker-1", BlobKeys.checkpoint(run, 200), 200));
    events.add(StageEvent.Released.of(ref, "worker-2", null, null));
    events.add(JobEvent.StatusChanged.of(job, tenant, JobStatus.QUEUED, JobStatus.RUNNING));
    events.add(JobEvent.StageChanged.of(job, tenant, Stage.FUSION, StageRunStatus.DISPATCHED, 1));
    events.add(JobEvent.Progress.of(job, tenant, Stage.CONCEPT_INVERSION, 10, 400, 0.5, 0.25));
    events.add(
        JobEvent.Completed.succeeded(job, tenant, BlobKeys.result(job), new Scores(0.21, 18.0)));
    events.add(JobEvent.Completed.failed(job, tenant, "stage_failed", "fusion failed 3 times"));
    events.add(JobEvent.Completed.cancelled(job, tenant));
    return events;
  }
}
