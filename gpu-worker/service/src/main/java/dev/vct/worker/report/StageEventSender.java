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
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
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

  /**
   * How long a report that nothing waits for may wait for company. Package-private so that a test
   * can make it long enough to tell "sent with the outcome" from "sent on its own".
   */
  Duration linger = Duration.ofMillis(5);

  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> kafkaConfig;

  private KafkaProducer<String, byte[]> producer;

  void start(@Observes @Priority(10) StartupEvent event) {
    Map<String, Object> config = new HashMap<>(kafkaConfig);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // Reports that nothing waits for (started, progress, heartbeat, checkpoint) linger, and an
    // awaited one (an outcome, a dead letter) is sent at once with whatever lingers (flush): a
    // stage that ends within the linger of its start sends started and its outcome as one produce
    // request, which the orchestrator then applies in one transaction instead of two. A lingering
    // report lost with the worker costs nothing: the request's offset is committed only after its
    // outcome was acknowledged, so the next owner runs it again and reports anew.
    config.put(ProducerConfig.LINGER_MS_CONFIG, (int) linger.toMillis());
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) ONE_SEND.toMillis());
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
  }

  void stop(@Observes @Priority(10_000) ShutdownEvent event) {
    producer.close(Duration.ofSeconds(5));
  }

  /**
   * Sends a report without waiting for the broker (started, progress, heartbeat, checkpoint): it
   * goes out within the linger, or earlier with the next awaited report. One that is lost is
   * replaced by the next, or by the outcome, which is awaited.
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
   * Sends an event that must arrive (succeeded, failed, cancelled, released) at once, together with
   * the reports still lingering, retrying through broker outages until {@code giveUpAt}.
   *
   * @return true once the broker acknowledged it, false when {@code giveUpAt} passed first
   */
  public boolean sendAndWait(StageEvent event, Instant giveUpAt) {
    long waitMillis = 200;
    while (true) {
      try {
        Future<RecordMetadata> sent = producer.send(record(event));
        producer.flush();
        sent.get(ONE_SEND.toMillis(), TimeUnit.MILLISECONDS);
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
    Future<RecordMetadata> sent = producer.send(dead);
    producer.flush();
    sent.get(ONE_SEND.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static ProducerRecord<String, byte[]> record(StageEvent event) {
    return new ProducerRecord<>(Topics.STAGE_EVENTS, event.key(), EventJson.encode(event));
  }

  private static String type(StageEvent event) {
    return event.getClass().getSimpleName();
  }
}
