package dev.vct.orchestrator.kafka;

import dev.vct.storage.event.Topics;
import dev.vct.storage.event.kafka.DeadLetterHeaders;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Moves a poison record (one that is not a valid event) to {@value Topics#DEAD_LETTER}: the only
 * way a record leaves an orchestrator input without being applied. The copy keeps the key, value
 * and headers and says why and where from in the {@link DeadLetterHeaders}. {@link #send} returns
 * once the broker has the copy, so the caller acknowledges the original only after that; a failed
 * send throws and the original stays unacknowledged.
 */
@ApplicationScoped
public class DeadLetters {
  private static final Logger LOG = Logger.getLogger(DeadLetters.class);
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> kafkaConfig;

  private KafkaProducer<String, String> producer;

  void start(@Observes StartupEvent event) {
    Map<String, Object> config = new HashMap<>(kafkaConfig);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "vct-orchestrator-dead-letters");
    producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
  }

  void stop(@Observes ShutdownEvent event) {
    producer.close(Duration.ofSeconds(5));
  }

  /** Copies {@code record} to the dead-letter topic and waits for the broker's acknowledgement. */
  public void send(ConsumerRecord<String, String> record, Throwable reason) {
    ProducerRecord<String, String> copy =
        new ProducerRecord<>(
            Topics.DEAD_LETTER,
            null,
            record.key(),
            record.value(),
            DeadLetterHeaders.of(record, reason));
    try {
      producer.send(copy).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "interrupted while sending "
              + DeadLetterHeaders.where(record)
              + " to "
              + Topics.DEAD_LETTER,
          e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "could not send "
              + DeadLetterHeaders.where(record)
              + " to "
              + Topics.DEAD_LETTER
              + "; it stays unread",
          e);
    }
    LOG.warnf(
        "%s is not a valid event, moved to %s: %s",
        DeadLetterHeaders.where(record), Topics.DEAD_LETTER, reason);
  }
}
