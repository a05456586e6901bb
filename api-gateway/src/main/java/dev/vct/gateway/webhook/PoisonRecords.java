package dev.vct.gateway.webhook;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Copies a record of {@code vct.job.events} that is not a valid job event to {@code
 * vct.dead-letter} (channel {@code dead-letters}), with the headers the orchestrator's dead letters
 * carry: {@code dead-letter-reason}, {@code -cause}, {@code -topic}, {@code -partition} and {@code
 * -offset}. {@link #send} returns once the broker has the copy; a failed send throws, so the
 * original stays unacknowledged.
 */
@ApplicationScoped
public class PoisonRecords {
  private static final Logger LOG = Logger.getLogger(PoisonRecords.class);
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

  private final Emitter<String> deadLetters;

  PoisonRecords(@Channel("dead-letters") Emitter<String> deadLetters) {
    this.deadLetters = deadLetters;
  }

  public void send(ConsumerRecord<String, String> record, Throwable reason) {
    RecordHeaders headers = new RecordHeaders(record.headers().toArray());
    put(headers, "dead-letter-reason", String.valueOf(reason.getMessage()));
    put(headers, "dead-letter-cause", reason.getClass().getName());
    put(headers, "dead-letter-topic", record.topic());
    put(headers, "dead-letter-partition", Integer.toString(record.partition()));
    put(headers, "dead-letter-offset", Long.toString(record.offset()));
    CompletableFuture<Void> sent = new CompletableFuture<>();
    Message<String> copy =
        Message.of(record.value())
            .addMetadata(
                OutgoingKafkaRecordMetadata.<String>builder()
                    .withKey(record.key())
                    .withHeaders(headers)
                    .build())
            .withAck(
                () -> {
                  sent.complete(null);
                  return CompletableFuture.completedFuture(null);
                })
            .withNack(
                failure -> {
                  sent.completeExceptionally(failure);
                  return CompletableFuture.completedFuture(null);
                });
    String where = record.topic() + "-" + record.partition() + "@" + record.offset();
    try {
      deadLetters.send(copy);
      sent.get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while dead-lettering " + where, e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      throw new IllegalStateException(
          "could not send " + where + " to vct.dead-letter; it stays unread", e);
    }
    LOG.warnf("%s is not a valid job event, moved to vct.dead-letter: %s", where, reason);
  }

  private static void put(RecordHeaders headers, String name, String value) {
    headers.remove(name);
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}
