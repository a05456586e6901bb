package dev.vct.orchestrator.kafka;

import dev.vct.orchestrator.job.JobService;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.StageEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * The orchestrator's three inputs. Records are read as text and decoded here, so that a record that
 * is not a valid event fails in this method and the channel's dead-letter strategy moves it to
 * {@code vct.dead-letter} without stopping the partition. Each handler is idempotent (the
 * processed-event log, in the transaction of the change); the record is acknowledged after the
 * transaction committed.
 */
@ApplicationScoped
public class EventConsumers {
  @Inject JobService jobs;

  @Incoming("job-submitted")
  @Blocking
  public void submitted(String json) {
    JobSubmitted event = EventJson.decode(json, JobSubmitted.class);
    Transient.retry(
        "planning job " + event.jobId(), () -> jobs.submitted(event.eventId(), event.jobId()));
  }

  @Incoming("stage-events")
  @Blocking
  public void stageEvent(String json) {
    StageEvent event = EventJson.decode(json, StageEvent.class);
    Transient.retry(
        "applying " + event.getClass().getSimpleName() + " of job " + event.jobId(),
        () -> jobs.stageEvent(event));
  }

  @Incoming("job-cancel")
  @Blocking
  public void cancel(String json) {
    CancelRequest event = EventJson.decode(json, CancelRequest.class);
    Transient.retry(
        "cancelling job " + event.jobId(),
        () -> jobs.cancelRequested(event.eventId(), event.jobId()));
  }
}
