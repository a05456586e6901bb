package dev.vct.orchestrator.kafka;

import dev.vct.orchestrator.job.JobService;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.EventDecodingException;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.VctEvent;
import dev.vct.storage.event.kafka.Transient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * The orchestrator's three inputs. Records are read as text and decoded here. A record that is not
 * a valid event (poison) is copied to {@code vct.dead-letter} by {@link DeadLetters} and then
 * acknowledged, without stopping the partition; that is the only way a record is passed over
 * unapplied. A valid event is acknowledged only once applied: each handler is idempotent (the
 * processed-event log, in the transaction of the change) and the record is acknowledged after the
 * transaction committed. Database failures are retried, a handler failing while the application
 * stops keeps its record unacknowledged ({@link Transient}), and any other failure nacks the
 * record.
 *
 * <p>A nack never dead-letters nor skips a record: the channels' failure strategy is {@code fail}
 * (application.properties), which stops the channel without committing the nacked record's offset
 * and reports it to the health check, so the next start reads the record again. The connector's own
 * dead-letter strategy, used before, sent every nacked record away, valid ones included: while a
 * SIGTERM'd orchestrator stopped, good stage events were dead-lettered and committed past with no
 * handler failure at all, and a lost {@code stage.succeeded} left its job running forever.
 *
 * <p>Submissions and stage events arrive in batches, what one poll of the topic returned ({@code
 * batch=true} in application.properties), and a batch is applied in one transaction: a
 * transaction's round trips and its commit are paid once per batch, not once per event, so the cost
 * per event falls as the load rises. A batch is acknowledged as a whole once applied; one that
 * fails is retried or nacked as a whole (a redelivered event is skipped by the processed-event
 * log). Batches are handled concurrently on the {@value #POOL} worker pool ({@code
 * smallrye.messaging.worker.orchestrator-events.max-concurrency}). Events of one job are still
 * applied one at a time, under the job's row lock, and the rare reordering between two batches is
 * harmless: an event of a finished stage or a superseded attempt changes nothing, and progress
 * never goes backwards. The connector commits an offset only once every record before it is
 * acknowledged.
 */
@ApplicationScoped
public class EventConsumers {
  /** The worker pool of the event handlers. */
  static final String POOL = "orchestrator-events";

  @Inject JobService jobs;
  @Inject DeadLetters deadLetters;

  @Incoming("job-submitted")
  @Blocking(value = POOL, ordered = false)
  public void submitted(ConsumerRecords<String, String> records) {
    List<JobSubmitted> submissions = decodeAll(records, JobSubmitted.class);
    if (!submissions.isEmpty()) {
      Transient.retry(
          "planning " + describe(submissions, JobSubmitted::jobId),
          () -> jobs.submitted(submissions));
    }
  }

  @Incoming("stage-events")
  @Blocking(value = POOL, ordered = false)
  public void stageEvents(ConsumerRecords<String, String> records) {
    List<StageEvent> events = decodeAll(records, StageEvent.class);
    if (!events.isEmpty()) {
      Transient.retry(
          "applying " + events.size() + " stage events of " + describe(events, StageEvent::jobId),
          () -> jobs.stageEvents(events));
    }
  }

  /**
   * Whole-job cancels (from the gateway). A cancel of one superseded attempt is this orchestrator's
   * own message to the workers on the same topic; the job goes on, so it is skipped here.
   */
  @Incoming("job-cancel")
  @Blocking
  public void cancel(ConsumerRecord<String, String> record) {
    decode(record, CancelRequest.class)
        .filter(CancelRequest::wholeJob)
        .ifPresent(
            event ->
                Transient.retry(
                    "cancelling job " + event.jobId(),
                    () -> jobs.cancelRequested(event.eventId(), event.jobId())));
  }

  /** From here on a failing handler keeps its record for the next start (see {@link Transient}). */
  void stopping(@Observes ShutdownEvent event) {
    Transient.applicationStopping(true);
  }

  void starting(@Observes StartupEvent event) {
    Transient.applicationStopping(false);
  }

  /**
   * The batch's events in their order; each poison record is on the dead-letter topic when this
   * returns, and acknowledging the batch passes over it.
   */
  <T extends VctEvent> List<T> decodeAll(ConsumerRecords<String, String> records, Class<T> type) {
    List<T> events = new ArrayList<>(records.count());
    for (ConsumerRecord<String, String> record : records) {
      decode(record, type).ifPresent(events::add);
    }
    return events;
  }

  private static <T> String describe(List<T> events, Function<T, UUID> job) {
    long jobs = events.stream().map(job).distinct().count();
    return jobs == 1 ? "job " + job.apply(events.get(0)) : jobs + " jobs";
  }

  /**
   * The record's event, or empty when it is poison: then it is already on the dead-letter topic and
   * returning acknowledges it.
   */
  <T extends VctEvent> Optional<T> decode(ConsumerRecord<String, String> record, Class<T> type) {
    if (record.value() == null) {
      deadLetters.send(
          record,
          new IllegalArgumentException(
              "no value (a tombstone), expected a " + type.getSimpleName() + " event"));
      return Optional.empty();
    }
    try {
      return Optional.of(EventJson.decode(record.value(), type));
    } catch (EventDecodingException poison) {
      deadLetters.send(record, poison);
      return Optional.empty();
    }
  }
}
