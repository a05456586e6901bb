package dev.vct.storage.event;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;
import java.util.UUID;

/**
 * Every message that travels on Kafka. Each has a unique {@link #eventId} (consumers record it to
 * skip redeliveries) and belongs to one job, whose id is the record key so that all messages of a
 * job stay in order on one partition. JSON carries the concrete type in a {@code type} property.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = JobSubmitted.class, name = "job.submitted"),
  @JsonSubTypes.Type(value = CancelRequest.class, name = "job.cancel-requested"),
  @JsonSubTypes.Type(value = StageRequest.class, name = "stage.request"),
  @JsonSubTypes.Type(value = StageEvent.Started.class, name = "stage.started"),
  @JsonSubTypes.Type(value = StageEvent.Progress.class, name = "stage.progress"),
  @JsonSubTypes.Type(value = StageEvent.Heartbeat.class, name = "stage.heartbeat"),
  @JsonSubTypes.Type(value = StageEvent.Checkpointed.class, name = "stage.checkpointed"),
  @JsonSubTypes.Type(value = StageEvent.Succeeded.class, name = "stage.succeeded"),
  @JsonSubTypes.Type(value = StageEvent.Failed.class, name = "stage.failed"),
  @JsonSubTypes.Type(value = StageEvent.Cancelled.class, name = "stage.cancelled"),
  @JsonSubTypes.Type(value = StageEvent.Released.class, name = "stage.released"),
  @JsonSubTypes.Type(value = JobEvent.StatusChanged.class, name = "job.status-changed"),
  @JsonSubTypes.Type(value = JobEvent.StageChanged.class, name = "job.stage-changed"),
  @JsonSubTypes.Type(value = JobEvent.Progress.class, name = "job.progress"),
  @JsonSubTypes.Type(value = JobEvent.Completed.class, name = "job.completed")
})
public sealed interface VctEvent
    permits JobSubmitted, CancelRequest, StageRequest, StageEvent, JobEvent {

  UUID eventId();

  Instant occurredAt();

  UUID jobId();

  /** The Kafka record key: the job id. */
  default String key() {
    return jobId().toString();
  }
}
