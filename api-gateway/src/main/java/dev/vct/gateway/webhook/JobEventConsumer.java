package dev.vct.gateway.webhook;

import dev.vct.storage.event.EventDecodingException;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.event.kafka.Transient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * The gateway's webhook input, {@code vct.job.events}, under the orchestrator's rule: records are
 * read as text and decoded here; only a record that is not a valid job event (poison) goes to
 * {@code vct.dead-letter} ({@link PoisonRecords}), then is acknowledged. A valid event is
 * acknowledged only once {@link WebhookRecorder} committed it: database failures are retried, a
 * recording that fails while the gateway stops keeps its record unacknowledged ({@link Transient}),
 * and any other failure nacks the record. The channel's failure strategy is {@code fail}
 * (application.properties), so a nacked record is neither dead-lettered nor committed past: it
 * stops the channel, the health check reports it, and the next start reads the record again. The
 * connector's dead-letter strategy, used before, sent a valid event away when PostgreSQL restarted
 * or the gateway stopped mid-recording, and its webhook was never delivered.
 */
@ApplicationScoped
public class JobEventConsumer {
  private final WebhookRecorder recorder;
  private final PoisonRecords poison;

  JobEventConsumer(WebhookRecorder recorder, PoisonRecords poison) {
    this.recorder = recorder;
    this.poison = poison;
  }

  @Incoming("job-events")
  @Blocking
  public void consume(ConsumerRecord<String, String> record) {
    if (record.value() == null) {
      poison.send(
          record, new IllegalArgumentException("no value (a tombstone), expected a job event"));
      return;
    }
    JobEvent event;
    try {
      event = EventJson.decode(record.value(), JobEvent.class);
    } catch (EventDecodingException e) {
      poison.send(record, e);
      return;
    }
    Transient.retry(
        "recording the webhook delivery of event " + event.eventId() + " of job " + event.jobId(),
        () -> recorder.record(event));
  }

  /** From here on a failing recording keeps its record for the next start. */
  void stopping(@Observes ShutdownEvent event) {
    Transient.applicationStopping(true);
  }

  void starting(@Observes StartupEvent event) {
    Transient.applicationStopping(false);
  }
}
