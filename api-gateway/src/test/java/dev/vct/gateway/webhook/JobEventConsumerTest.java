package dev.vct.gateway.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.storage.event.EventDecodingException;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.event.Topics;
import dev.vct.storage.event.kafka.Transient;
import dev.vct.storage.job.JobStatus;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.hibernate.exception.JDBCConnectionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook input acknowledges a record when {@link JobEventConsumer#consume} returns and nacks
 * it when it throws (the channel's {@code fail} strategy then stops without committing past it).
 * Only a record that is not a job event may be passed over, and only once it is on the dead-letter
 * topic; a valid event whose recording fails is retried or nacked, never dead-lettered.
 */
class JobEventConsumerTest {
  private final List<ConsumerRecord<String, String>> deadLettered = new ArrayList<>();
  private final List<Throwable> deadLetterReasons = new ArrayList<>();
  private final List<UUID> recorded = new ArrayList<>();
  private Consumer<JobEvent> recording = event -> recorded.add(event.eventId());

  private final JobEventConsumer consumer =
      new JobEventConsumer(
          new WebhookRecorder(null) {
            @Override
            public void record(JobEvent event) {
              recording.accept(event);
            }
          },
          new PoisonRecords(null) {
            @Override
            public void send(ConsumerRecord<String, String> record, Throwable reason) {
              deadLettered.add(record);
              deadLetterReasons.add(reason);
            }
          });

  @BeforeEach
  void running() {
    Transient.applicationStopping(false);
  }

  @Test
  void aValidEventIsRecordedAndNotDeadLettered() {
    JobEvent event = statusChanged();
    consumer.consume(record(EventJson.encodeToString(event)));
    assertEquals(List.of(event.eventId()), recorded);
    assertTrue(deadLettered.isEmpty());
  }

  @Test
  void aValidEventIsRecordedOnceTheDatabaseIsBackNeverDeadLettered() {
    JobEvent event = statusChanged();
    int[] attempts = {0};
    recording =
        e -> {
          if (++attempts[0] <= 4) {
            throw new JDBCConnectionException(
                "Unable to acquire JDBC Connection",
                new SQLException("the database system is shutting down", "57P03"));
          }
          recorded.add(e.eventId());
        };
    consumer.consume(record(EventJson.encodeToString(event))); // returns: recorded, then acked
    assertEquals(5, attempts[0]);
    assertEquals(List.of(event.eventId()), recorded);
    assertTrue(deadLettered.isEmpty(), "a valid event reached the dead-letter topic");
  }

  @Test
  void aValidEventWhoseRecordingKeepsFailingIsNackedNeverDeadLettered() {
    IllegalStateException bug = new IllegalStateException("a bug in recording");
    recording =
        e -> {
          throw bug;
        };
    ConsumerRecord<String, String> valid = record(EventJson.encodeToString(statusChanged()));
    assertSame(bug, assertThrows(IllegalStateException.class, () -> consumer.consume(valid)));
    assertTrue(deadLettered.isEmpty(), "a valid event reached the dead-letter topic");
  }

  @Test
  void anUndecodableRecordIsDeadLetteredThenAcknowledged() {
    ConsumerRecord<String, String> poison = record("{\"type\":\"job.status\",\"jobId\":1");
    consumer.consume(poison); // returns: acknowledged, the partition moves on
    assertEquals(List.of(poison), deadLettered);
    assertTrue(deadLetterReasons.get(0) instanceof EventDecodingException);
    assertTrue(recorded.isEmpty());
  }

  @Test
  void aRecordWithoutValueIsDeadLetteredThenAcknowledged() {
    ConsumerRecord<String, String> tombstone = record(null);
    consumer.consume(tombstone);
    assertEquals(List.of(tombstone), deadLettered);
    assertTrue(recorded.isEmpty());
  }

  private static JobEvent statusChanged() {
    return JobEvent.StatusChanged.of(
        UUID.randomUUID(), UUID.randomUUID(), JobStatus.QUEUED, JobStatus.RUNNING);
  }

  private static ConsumerRecord<String, String> record(String value) {
    return new ConsumerRecord<>(Topics.JOB_EVENTS, 0, 7L, "key", value);
  }
}
