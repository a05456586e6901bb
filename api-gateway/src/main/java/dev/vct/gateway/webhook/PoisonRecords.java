package dev.vct.gateway.webhook;

import dev.vct.storage.event.kafka.DeadLetterHeaders;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Copies a record of {@code vct.job.events} that is not a valid job event to {@code
 * vct.dead-letter} (channel {@code dead-letters}), with the {@link DeadLetterHeaders} every service
 * puts on its dead letters. {@link #send} returns once the broker has the copy; a failed send
 * throws, so the original stays unacknowledged.
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
    CompletableFuture<Void> sent = new CompletableFuture<>();
    Message<String> copy =
        Message.of(record.value())
            .addMetadata(
                OutgoingKafkaRecordMetadata.<String>builder()
                    .withKey(record.key())
                    .withHeaders(DeadLetterHeaders.of(record, reason))
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
    String where = DeadLetterHeaders.where(record);
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
}
