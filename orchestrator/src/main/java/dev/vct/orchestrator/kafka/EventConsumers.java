package dev.vct.orchestrator.kafka;

import dev.vct.orchestrator.job.JobService;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.StageEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * The orchestrator's three inputs. Records are read as text and decoded here, so that a record that
 * is not a valid event fails in this method and the channel's dead-letter strategy moves it to
 * {@code vct.dead-letter} without stopping the partition. Each handler is idempotent (the
 * processed-event log, in the transaction of the change); the record is acknowledged after the
 * transaction committed.
 *
 * <p>Submissions and stage events are handled concurrently on the {@value #POOL} worker pool
 * ({@code smallrye.messaging.worker.orchestrator-events.max-concurrency}): one handler is a few
 * database round trips, and handled one at a time they capped the job rate (10 jobs/s here). Events
 * of one job are still applied one at a time, under the job's row lock, and the rare reordering
 * between them is harmless: an event of a finished stage or a superseded attempt changes nothing,
 * and progress never goes backwards. The connector commits an offset only once every record before
 * it is acknowledged.
 */
@ApplicationScoped
public class EventConsumers {
  /** The worker pool of the event handlers. */
  static final String POOL = "orchestrator-events";

  @Inject JobService jobs;

  @Incoming("job-submitted")
  @Blocking(value = POOL, ordered = false)
  public void submitted(String json) {
    JobSubmitted event = EventJson.decode(json, JobSubmitted.class);
    Transient.retry(
        "planning job " + event.jobId(), () -> jobs.submitted(event.eventId(), event.jobId()));
  }

  @Incoming("stage-events")
  @Blocking(value = POOL, ordered = false)
  public void stageEvent(String json) {
    StageEvent event = EventJson.decode(json, StageEvent.class);
    Transient.retry(
        "applying " + event.getClass().getSimpleName() + " of job " + event.jobId(),
        () -> jobs.stageEvent(event));
  }

  /** From here on a failing handler keeps its record for the next start (see {@link Transient}). */
  void stopping(@Observes ShutdownEvent event) {
    Transient.applicationStopping(true);
  }

  void starting(@Observes StartupEvent event) {
    Transient.applicationStopping(false);
  }

  /**
   * Whole-job cancels (from the gateway). A cancel of one superseded attempt is this orchestrator's
   * own message to the workers on the same topic; the job goes on, so it is skipped here.
   */
  @Incoming("job-cancel")
  @Blocking
  public void cancel(String json) {
    CancelRequest event = EventJson.decode(json, CancelRequest.class);
    if (!event.wholeJob()) {
      return;
    }
    Transient.retry(
        "cancelling job " + event.jobId(),
        () -> jobs.cancelRequested(event.eventId(), event.jobId()));
  }
}
