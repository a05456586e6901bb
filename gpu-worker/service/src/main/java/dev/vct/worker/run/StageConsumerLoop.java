package dev.vct.worker.run;

import dev.vct.storage.event.EventDecodingException;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.Topics;
import dev.vct.storage.event.kafka.TopicSetup;
import dev.vct.storage.job.Stage;
import dev.vct.worker.config.WorkerConfig;
import dev.vct.worker.report.StageEventSender;
import dev.vct.worker.stage.StopReason;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Reads stage requests with a KafkaConsumer of its own, on one thread that never blocks on a stage.
 *
 * <p>Why not a SmallRye {@code @Incoming} channel: a stage may run for 30 minutes, and the request
 * may only be acknowledged once its outcome is sent. With the connector's default {@code throttled}
 * commit strategy an unacknowledged record older than {@code
 * throttled.unprocessed-record-max-age.ms} marks the channel unhealthy, and prefetched records of
 * other jobs would wait in the connector's queue just as long. Here instead:
 *
 * <ul>
 *   <li>a request runs on a {@link StageRunner} thread; its partition is paused at once, and all
 *       partitions are paused while the worker is at its concurrency, so nothing is prefetched into
 *       this worker while it is busy and other workers of the group take the other partitions'
 *       requests;
 *   <li>this thread keeps calling {@code poll} every {@code vct.worker.kafka.poll-timeout} (paused
 *       partitions return nothing), so {@code max.poll.interval.ms} is never exceeded however long
 *       the stage runs, and the group never rebalances because of it;
 *   <li>when the outcome was sent, this thread commits the request's offset + 1 and resumes; if the
 *       worker dies before, the request is redelivered and resumes from its last checkpoint.
 * </ul>
 *
 * A record that is not a valid stage request goes to {@link Topics#DEAD_LETTER} and its offset is
 * committed at once: it never blocks its partition. The consumer uses the cooperative-sticky
 * assignor, so a worker joining or leaving moves only the partitions it must.
 */
@ApplicationScoped
public class StageConsumerLoop {
  private static final Logger LOG = Logger.getLogger(StageConsumerLoop.class);

  @Inject WorkerConfig config;
  @Inject WorkerIdentity identity;
  @Inject StageRunner runner;
  @Inject StageEventSender sender;
  @Inject WorkerMetrics metrics;
  @Inject MeterRegistry registry;

  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> kafkaConfig;

  /** Finished requests, handed from stage threads to the polling thread. */
  private final ConcurrentLinkedQueue<Finished> finished = new ConcurrentLinkedQueue<>();

  /** The in-flight request of each partition (at most one); polling thread only. */
  private final Map<TopicPartition, InFlight> inFlight = new HashMap<>();

  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean draining;
  private volatile Instant lastPoll = Instant.now();
  private volatile Thread thread;
  private KafkaConsumer<String, byte[]> consumer;
  private KafkaClientMetrics consumerMetrics;

  void start(@Observes StartupEvent event) {
    Set<Stage> served = servedStages();
    runner.init(served);
    TopicSetup.ensure(
        kafkaConfig, config.kafka().topicPartitions(), config.kafka().topicReplicationFactor());
    consumer =
        new KafkaConsumer<>(
            consumerConfig(), new StringDeserializer(), new ByteArrayDeserializer());
    consumerMetrics = new KafkaClientMetrics(consumer);
    consumerMetrics.bindTo(registry);
    List<String> topics = served.stream().map(Topics::forStage).toList();
    thread = new Thread(() -> loop(topics), "stage-consumer");
    thread.start();
    LOG.infof("worker %s serves %s", identity.id(), topics);
  }

  /**
   * Graceful drain on SIGTERM: running stages finish their step, checkpoint and are reported as
   * released (the orchestrator re-dispatches them at once); their offsets are committed; then the
   * consumer leaves the group. Bounded by {@code vct.worker.drain-timeout}.
   */
  void drain(@Observes ShutdownEvent event) throws InterruptedException {
    draining = true;
    runner.drain();
    if (!stopped.await(config.drainTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
      LOG.warn("drain timed out; unfinished requests will be redelivered");
      consumer.wakeup();
    }
    if (consumerMetrics != null) {
      consumerMetrics.close();
    }
  }

  /** For the readiness check: when the loop last polled, and whether it still runs. */
  public Instant lastPoll() {
    return lastPoll;
  }

  public boolean running() {
    Thread t = thread;
    return t != null && t.isAlive();
  }

  public int inFlightCount() {
    return runner.runningCount();
  }

  private void loop(List<String> topics) {
    try {
      consumer.subscribe(topics, new Rebalance());
      while (!(draining && inFlight.isEmpty() && finished.isEmpty())) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(config.kafka().pollTimeout())) {
          accept(record);
        }
        lastPoll = Instant.now();
        commitFinished();
      }
    } catch (WakeupException e) {
      LOG.info("stage consumer woken up to stop");
    } catch (RuntimeException e) {
      LOG.error("stage consumer stopped on an unexpected error", e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
      stopped.countDown();
    }
  }

  private void accept(ConsumerRecord<String, byte[]> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    StageRequest request;
    try {
      request =
          EventJson.decode(
              record.value() == null ? new byte[0] : record.value(), StageRequest.class);
    } catch (EventDecodingException e) {
      deadLetter(record, partition, e);
      return;
    }
    if (draining) {
      // Not started: rewind so the offset is not skipped; the next owner reads it again.
      consumer.seek(partition, record.offset());
      consumer.pause(List.of(partition));
      return;
    }
    inFlight.put(partition, new InFlight(record.offset(), request));
    consumer.pause(List.of(partition));
    if (inFlight.size() >= config.concurrency()) {
      consumer.pause(consumer.assignment());
    }
    runner.start(request, commit -> finished.add(new Finished(partition, record.offset(), commit)));
  }

  private void deadLetter(
      ConsumerRecord<String, byte[]> record, TopicPartition partition, Exception why) {
    LOG.warnf(
        "moving %s offset %d to %s: %s",
        partition, record.offset(), Topics.DEAD_LETTER, why.getMessage());
    try {
      sender.deadLetter(record, why);
      metrics.deadLettered(record.topic());
      commit(partition, record.offset());
    } catch (Exception e) {
      // Not committed: rewind and try again on the next poll.
      LOG.warnf(
          "could not dead-letter %s offset %d: %s", partition, record.offset(), e.getMessage());
      consumer.seek(partition, record.offset());
    }
  }

  private void commitFinished() {
    Finished done;
    while ((done = finished.poll()) != null) {
      InFlight was = inFlight.get(done.partition());
      if (was != null && was.offset() == done.offset()) {
        inFlight.remove(done.partition());
      }
      if (done.commit() && consumer.assignment().contains(done.partition())) {
        commit(done.partition(), done.offset());
      } else if (!done.commit() && consumer.assignment().contains(done.partition())) {
        consumer.seek(done.partition(), done.offset());
      }
    }
    if (draining) {
      consumer.pause(consumer.assignment());
    } else if (inFlight.size() < config.concurrency()) {
      Set<TopicPartition> idle = new HashSet<>(consumer.assignment());
      idle.removeAll(inFlight.keySet());
      consumer.resume(idle);
    }
  }

  private void commit(TopicPartition partition, long offset) {
    try {
      consumer.commitSync(Map.of(partition, new OffsetAndMetadata(offset + 1)));
    } catch (CommitFailedException e) {
      // The partition moved during a rebalance; its new owner may run the request again, which
      // the orchestrator absorbs (same attempt, idempotent events).
      LOG.warnf("could not commit %s offset %d: %s", partition, offset, e.getMessage());
    }
  }

  private Set<Stage> servedStages() {
    Set<Stage> stages = EnumSet.noneOf(Stage.class);
    for (String name : config.stages()) {
      try {
        stages.add(Stage.fromCode(name.trim().replace('-', '_')));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "vct.worker.stages names an unknown stage '"
                + name
                + "'; use content-inversion, concept-inversion, fusion, scoring",
            e);
      }
    }
    if (stages.isEmpty()) {
      throw new IllegalArgumentException("vct.worker.stages is empty; name at least one stage");
    }
    return stages;
  }

  private Map<String, Object> consumerConfig() {
    Map<String, Object> consumerConfig = new HashMap<>(kafkaConfig);
    consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "vct-worker-" + identity.id());
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    consumerConfig.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    consumerConfig.put(
        ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
        (int) config.kafka().maxPollInterval().toMillis());
    consumerConfig.put(
        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) config.kafka().sessionTimeout().toMillis());
    consumerConfig.put(
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
        (int) Math.max(500, config.kafka().sessionTimeout().toMillis() / 3));
    consumerConfig.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    return consumerConfig;
  }

  private record InFlight(long offset, StageRequest request) {}

  private record Finished(TopicPartition partition, long offset, boolean commit) {}

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        metrics.rebalanced("revoked");
      }
      stopInFlight(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      metrics.rebalanced("lost");
      stopInFlight(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (draining || inFlight.size() >= config.concurrency()) {
        consumer.pause(partitions);
      }
    }

    /** The partition's next owner reads the request again; this worker checkpoints and lets go. */
    private void stopInFlight(Collection<TopicPartition> partitions) {
      for (TopicPartition partition : partitions) {
        InFlight running = inFlight.remove(partition);
        if (running != null) {
          LOG.infof(
              "partition %s moved away; stopping %s of job %s",
              partition, running.request().stage().code(), running.request().jobId());
          runner.stop(running.request().stageRunId(), StopReason.REASSIGNED);
        }
      }
    }
  }
}
