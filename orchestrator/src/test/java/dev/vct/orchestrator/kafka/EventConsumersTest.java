package dev.vct.orchestrator.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.orchestrator.job.JobService;
import dev.vct.storage.event.EventDecodingException;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * What a handler does with a record decides whether the connector acknowledges it (the handler
 * returns) or nacks it (the handler throws; the channel's {@code fail} strategy then stops without
 * committing past it). Only a record that is not a valid event may be passed over, and only once it
 * is on the dead-letter topic.
 */
class EventConsumersTest {
  private final List<ConsumerRecord<String, String>> deadLettered = new ArrayList<>();
  private final List<UUID> planned = new ArrayList<>();
  private final EventConsumers consumers = new EventConsumers();

  EventConsumersTest() {
    consumers.deadLetters =
        new DeadLetters() {
          @Override
          public void send(ConsumerRecord<String, String> record, Throwable reason) {
            deadLettered.add(record);
          }
        };
    consumers.jobs =
        new JobService() {
          @Override
          public void submitted(List<JobSubmitted> submissions) {
            submissions.forEach(s -> planned.add(s.jobId()));
          }
        };
  }

  @Test
  void aValidEventIsAppliedAndNotDeadLettered() {
    UUID job = UUID.randomUUID();
    consumers.submitted(
        batch(record(EventJson.encodeToString(JobSubmitted.of(job, UUID.randomUUID())))));
    assertEquals(List.of(job), planned);
    assertTrue(deadLettered.isEmpty());
  }

  @Test
  void anUndecodableRecordIsDeadLetteredThenAcknowledged() {
    ConsumerRecord<String, String> poison = record("{\"type\":\"job.submitted\",\"jobId\":1");
    consumers.submitted(batch(poison)); // returns: acknowledged, the partition moves on
    assertEquals(List.of(poison), deadLettered);
    assertTrue(planned.isEmpty());
  }

  @Test
  void aPoisonRecordInABatchIsDeadLetteredAndTheValidOnesAreAppliedInOrder() {
    UUID first = UUID.randomUUID();
    UUID second = UUID.randomUUID();
    ConsumerRecord<String, String> poison = record("not json");
    consumers.submitted(
        batch(
            record(EventJson.encodeToString(JobSubmitted.of(first, UUID.randomUUID()))),
            poison,
            record(EventJson.encodeToString(JobSubmitted.of(second, UUID.randomUUID())))));
    assertEquals(List.of(poison), deadLettered);
    assertEquals(List.of(first, second), planned);
  }

  @Test
  void aRecordWithoutValueIsDeadLetteredThenAcknowledged() {
    ConsumerRecord<String, String> tombstone = record(null);
    consumers.stageEvents(batch(tombstone));
    consumers.cancel(tombstone);
    assertEquals(List.of(tombstone, tombstone), deadLettered);
  }

  @Test
  void aValidEventWhoseHandlingFailsIsNackedNeverDeadLettered() {
    IllegalStateException bug = new IllegalStateException("a bug in planning");
    consumers.jobs =
        new JobService() {
          @Override
          public void submitted(List<JobSubmitted> submissions) {
            throw bug;
          }
        };
    ConsumerRecord<String, String> valid =
        record(EventJson.encodeToString(JobSubmitted.of(UUID.randomUUID(), UUID.randomUUID())));
    assertSame(
        bug, assertThrows(IllegalStateException.class, () -> consumers.submitted(batch(valid))));
    assertTrue(deadLettered.isEmpty(), "a valid event reached the dead-letter topic");
  }

  @Test
  void aFailingDeadLetterSendKeepsThePoisonUnacknowledged() {
    IllegalStateException brokerDown = new IllegalStateException("broker down");
    consumers.deadLetters =
        new DeadLetters() {
          @Override
          public void send(ConsumerRecord<String, String> record, Throwable reason) {
            assertTrue(reason instanceof EventDecodingException, reason.toString());
            throw brokerDown;
          }
        };
    assertSame(
        brokerDown,
        assertThrows(
            IllegalStateException.class, () -> consumers.submitted(batch(record("nope")))));
  }

  /** Records as one poll returns them: a batch of the channel. */
  @SafeVarargs
  private static ConsumerRecords<String, String> batch(ConsumerRecord<String, String>... records) {
    return new ConsumerRecords<>(
        Map.of(new TopicPartition(records[0].topic(), records[0].partition()), List.of(records)),
        Map.of());
  }

  private static ConsumerRecord<String, String> record(String value) {
    return new ConsumerRecord<>(Topics.JOB_SUBMITTED, 2, 41L, "key", value);
  }
}
