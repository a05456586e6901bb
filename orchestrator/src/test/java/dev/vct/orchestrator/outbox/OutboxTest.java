package dev.vct.orchestrator.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.local.test.PostgresTestResource;
import dev.vct.local.test.S3TestResource;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.Topics;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The outbox's guard: records queued in a transaction must be written by {@code flush}. */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = S3TestResource.class, restrictToAnnotatedClass = false)
class OutboxTest {

  @Inject Outbox outbox;

  @Test
  void transactionThatQueuedRecordsWithoutFlushingThemDoesNotCommit() {
    UUID job = UUID.randomUUID();
    assertThrows(
        RuntimeException.class,
        () ->
            QuarkusTransaction.requiringNew()
                .run(
                    () ->
                        outbox.add(
                            Topics.JOB_CANCEL, CancelRequest.of(job, UUID.randomUUID(), "test"))));
    assertEquals(0, recordsFor(job));
  }

  @Test
  void flushWritesTheQueuedRecordsInTheOrderTheyWereQueued() {
    UUID job = UUID.randomUUID();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              outbox.add(Topics.JOB_CANCEL, CancelRequest.of(job, UUID.randomUUID(), "first"));
              outbox.add(Topics.JOB_CANCEL, CancelRequest.of(job, UUID.randomUUID(), "second"));
              outbox.flush();
              // Still uncommitted, so the relay cannot have sent and deleted them yet.
              List<OutboxRecord> written =
                  OutboxRecord.list("recordKey = ?1 order by id", job.toString());
              assertEquals(2, written.size());
              assertTrue(written.get(0).payload.contains("first"));
              assertTrue(written.get(1).payload.contains("second"));
            });
  }

  private static long recordsFor(UUID job) {
    return QuarkusTransaction.joiningExisting()
        .call(() -> OutboxRecord.count("recordKey", job.toString()));
  }
}
