package dev.vct.worker.run;

import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.EventDecodingException;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.Topics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Every worker reads every cancel (no consumer group: all partitions of {@link Topics#JOB_CANCEL}
 * assigned, from their end at start), because only the worker running the job's stage can stop it;
 * it stops within one UNet pass. A cancel naming one attempt of one stage run stops only that
 * attempt ({@link StageRunner#supersede}). A separate consumer from the stage requests', which stay
 * paused while a stage runs.
 */
@ApplicationScoped
public class CancelListener {
  private static final Logger LOG = Logger.getLogger(CancelListener.class);

  @Inject StageRunner runner;

  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> kafkaConfig;

  private final CountDownLatch positioned = new CountDownLatch(1);
  private volatile boolean running;
  private KafkaConsumer<String, byte[]> consumer;
  private Thread thread;

  void start(@Observes StartupEvent event) {
    Map<String, Object> config = new HashMap<>(kafkaConfig);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    running = true;
    thread = new Thread(this::loop, "cancel-listener");
    thread.setDaemon(true);
    thread.start();
  }

  void stop(@Observes ShutdownEvent event) throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(5_000);
  }

  private void loop() {
    try {
      assignAll();
      while (running) {
        for (ConsumerRecord<String, byte[]> record : poll()) {
          try {
            CancelRequest cancel = EventJson.decode(record.value(), CancelRequest.class);
            if (cancel.wholeJob()) {
              LOG.infof("cancel of job %s: %s", cancel.jobId(), cancel.reason());
              runner.cancelJob(cancel.jobId(), cancel.reason());
            } else {
              LOG.debugf(
                  "stop of stage run %s attempt %d of job %s: %s",
                  cancel.stageRunId(), cancel.attempt(), cancel.jobId(), cancel.reason());
              runner.supersede(cancel.stageRunId(), cancel.attempt(), cancel.reason());
            }
          } catch (EventDecodingException e) {
            LOG.warnf(
                "ignoring a record on %s that is not a cancel request: %s",
                record.topic(), e.getMessage());
          }
        }
      }
    } catch (WakeupException e) {
      // stopping
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /**
   * The next cancels; none while the broker does not answer (the client reconnects by itself, and
   * the worker's database checks stop what a missed cancel would have).
   */
  private Iterable<ConsumerRecord<String, byte[]>> poll() {
    try {
      return consumer.poll(Duration.ofMillis(500));
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) {
      LOG.warnf("cannot read %s: %s; trying again", Topics.JOB_CANCEL, e.getMessage());
      return List.of();
    }
  }

  /**
   * Takes every partition of the topic from its end, and tells {@link #awaitPositioned} once the
   * ends are resolved. The stage consumer waits for this, so a slow broker is waited out here.
   */
  private void assignAll() {
    while (running) {
      try {
        List<PartitionInfo> partitions =
            consumer.partitionsFor(Topics.JOB_CANCEL, Duration.ofSeconds(10));
        if (partitions.isEmpty()) {
          continue;
        }
        List<TopicPartition> assigned =
            partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(assigned);
        consumer.seekToEnd(assigned);
        // Resolve the end offsets now, so cancels sent from here on are not skipped by a lazy
        // seek.
        assigned.forEach(consumer::position);
        positioned.countDown();
        return;
      } catch (WakeupException e) {
        throw e;
      } catch (KafkaException e) {
        LOG.warnf(
            "cannot take %s from its end yet: %s; trying again", Topics.JOB_CANCEL, e.getMessage());
      }
    }
  }

  /**
   * Waits up to {@code timeout} until this listener reads every cancel sent from now on. The stage
   * consumer starts no request before: a request checked against the database before its job ended
   * is then stopped by the cancel the orchestrator sends after recording the end.
   */
  boolean awaitPositioned(Duration timeout) throws InterruptedException {
    return positioned.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
