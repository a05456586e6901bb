package dev.vct.worker.report;

import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.Topics;
import dev.vct.storage.event.kafka.DeadLetterHeaders;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * The worker's one producer: stage events to {@link Topics#STAGE_EVENTS} (keyed by job, so a job's
 * events stay in order) and undecodable records to {@link Topics#DEAD_LETTER}.
 */
@ApplicationScoped
public class StageEventSender {
  private static final Logger LOG = Logger.getLogger(StageEventSender.class);
  private static final Duration ONE_SEND = Duration.ofSeconds(15);

  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> kafkaConfig;

  private KafkaProducer<String, byte[]> producer;

  void start(@Observes @Priority(10) StartupEvent event) {
    Map<String, Object> config = new HashMap<>(kafkaConfig);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) ONE_SEND.toMillis());
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
  }

  void stop(@Observes @Priority(10_000) ShutdownEvent event) {
    producer.close(Duration.ofSeconds(5));
  }

  /**
   * Sends a report without waiting for the broker (started, progress, heartbeat, checkpoint): one
   * that is lost is replaced by the next, or by the outcome, which is awaited.
   */
  public void send(StageEvent event) {
    producer.send(
        record(event),
        (metadata, error) -> {
          if (error != null) {
            LOG.debugf(
                "could not send %s: %s", event.getClass().getSimpleName(), error.getMessage());
          }
        });
  }

  /**
   * Waits until every report handed to {@link #send} so far reached the broker (or failed), so that
   * a worker that hands a stage over has its last progress and checkpoint reports in the topic
   * before the next owner reports.
   */
  public void flush() {
    producer.flush();
  }

  /**
   * Sends an event that must arrive (started, succeeded, failed, cancelled, released), retrying
   * through broker outages until {@code giveUpAt}.
   *
   * @return true once the broker acknowledged it, false when {@code giveUpAt} passed first
   */
  public boolean sendAndWait(StageEvent event, Instant giveUpAt) {
    long waitMillis = 200;
    while (true) {
      try {
        producer.send(record(event)).get(ONE_SEND.toMillis(), TimeUnit.MILLISECONDS);
        return true;
      } catch (ExecutionException | TimeoutException | RuntimeException e) {
        if (Instant.now().plusMillis(waitMillis).isAfter(giveUpAt)) {
          LOG.errorf(
              "gave up sending %s of job %s: %s", type(event), event.jobId(), e.getMessage());
          return false;
        }
        LOG.warnf(
            "sending %s of job %s failed, retrying: %s",
            type(event), event.jobId(), e.getMessage());
        try {
          Thread.sleep(waitMillis);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return false;
        }
        waitMillis = Math.min(waitMillis * 2, 5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /**
   * Moves a record that is not a valid stage request to the dead-letter topic, with why and where
   * it came from in the headers; waits for the broker, so the caller can commit past it.
   */
  public void deadLetter(ConsumerRecord<String, byte[]> record, Exception why) throws Exception {
    ProducerRecord<String, byte[]> dead =
        new ProducerRecord<>(
            Topics.DEAD_LETTER,
            null,
            record.key(),
            record.value(),
            DeadLetterHeaders.of(record, why));
    producer.send(dead).get(ONE_SEND.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static ProducerRecord<String, byte[]> record(StageEvent event) {
    return new ProducerRecord<>(Topics.STAGE_EVENTS, event.key(), EventJson.encode(event));
  }

  private static String type(StageEvent event) {
    return event.getClass().getSimpleName();
  }
}
