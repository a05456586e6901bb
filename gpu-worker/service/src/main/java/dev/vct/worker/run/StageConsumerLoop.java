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
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
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
 *
 * <p>How a busy partition is handed over when the group rebalances (a worker joins or leaves):
 *
 * <ul>
 *   <li>revoked (cooperative rebalance): the stage is asked to stop (within one UNet pass) with a
 *       checkpoint of its last completed step, and the revoke callback waits for it up to {@code
 *       vct.worker.handover-timeout} (the partition reaches its new owner only after the callback
 *       returns). Its last progress and checkpoint reports are flushed to the broker first. Its
 *       request is not committed and no event is sent for it: the new owner reads the same request
 *       and runs the same attempt, resuming from the newest checkpoint under the stage run's
 *       prefix, which is the one just saved; its {@code started} event (same attempt, another
 *       worker, {@code resumedFromStep}) tells the orchestrator, which keeps the run running and
 *       renews the lease. Sending {@code released} instead would make the orchestrator dispatch a
 *       second attempt while the new owner already runs the first: the work would be done twice.
 *   <li>a stage that does not stop within the timeout is stopped without waiting: the new owner may
 *       then resume from an older checkpoint while this worker finishes one UNet pass (its result
 *       is discarded, it reports nothing more, and it keeps its stage thread until it ends). Either
 *       way a handed-over attempt sends no more heartbeats from here.
 *   <li>lost (this worker was thrown out of the group): stopped without waiting, likewise.
 *   <li>if no worker takes the request over, nothing heartbeats and the orchestrator's lease runs
 *       out: it dispatches the next attempt, and the old attempt's late reports change nothing.
 * </ul>
 */
@ApplicationScoped
public class StageConsumerLoop {
  private static final Logger LOG = Logger.getLogger(StageConsumerLoop.class);
  private static final Duration END_OFFSETS_TIMEOUT = Duration.ofSeconds(5);

  @Inject WorkerConfig config;
  @Inject WorkerIdentity identity;
  @Inject StageRunner runner;
  @Inject CancelListener cancels;
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

  /**
   * Requests whose partition moved away while they ran and that did not stop within the handover
   * timeout: they still hold a stage thread, so they count against the concurrency until they end;
   * polling thread only.
   */
  private final Set<Finished> leaving = new HashSet<>();

  /**
   * Offsets handed to {@code commitAsync}, made sure of with {@code commitSync} before their
   * partition leaves this worker or the worker stops; polling thread only.
   */
  private final Map<TopicPartition, OffsetAndMetadata> committing = new HashMap<>();

  /**
   * Per assigned partition, the first offset no consumer can have started before: the partition's
   * end when it was assigned here, then past every request started here. A request at or above it
   * is delivered for the first time, so no checkpoint of its attempt exists; polling thread only.
   */
  private final Map<TopicPartition, Long> firstUnstarted = new HashMap<>();

  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean draining;
  private volatile boolean stopping;
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
      stopping = true;
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
      awaitCancelListener();
      consumer.subscribe(topics, new Rebalance());
      while (!(draining && inFlight.isEmpty() && leaving.isEmpty() && finished.isEmpty())) {
        Set<TopicPartition> rewound = new HashSet<>();
        for (ConsumerRecord<String, byte[]> record : poll()) {
          accept(record, rewound);
        }
        lastPoll = Instant.now();
        commitFinished();
      }
    } catch (WakeupException e) {
      LOG.info("stage consumer woken up to stop");
    } catch (RuntimeException e) {
      LOG.error("stage consumer stopped on an unexpected error", e);
    } finally {
      try {
        commitNow(List.copyOf(committing.keySet()));
      } catch (RuntimeException e) {
        LOG.warnf("could not commit the last offsets: %s", e.getMessage());
      }
      consumer.close(Duration.ofSeconds(5));
      stopped.countDown();
    }
  }

  /** Starts no request before the cancel listener reads every cancel sent from then on. */
  private void awaitCancelListener() {
    try {
      while (!draining && !cancels.awaitPositioned(Duration.ofSeconds(10))) {
        LOG.infof("waiting for the cancel listener to reach the end of %s", Topics.JOB_CANCEL);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WakeupException();
    }
  }

  /**
   * Waits up to the poll timeout for requests; a stage that finishes wakes the wait up, so its
   * offset is committed and the worker takes the next request at once, not a poll timeout later.
   */
  private ConsumerRecords<String, byte[]> poll() {
    try {
      return consumer.poll(config.kafka().pollTimeout());
    } catch (WakeupException e) {
      if (stopping) {
        throw e;
      }
      return ConsumerRecords.empty();
    }
  }

  /**
   * Starts the request of {@code record} when its partition has none running and the worker has a
   * free slot; otherwise rewinds the partition to it (once per poll: {@code rewound}), so that it
   * is read again when the partition resumes.
   */
  private void accept(ConsumerRecord<String, byte[]> record, Set<TopicPartition> rewound) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    if (rewound.contains(partition)) {
      return;
    }
    if (draining || inFlight.containsKey(partition) || busy() >= config.concurrency()) {
      // Not started: rewind so the offset is not skipped (when draining, the next owner reads it).
      consumer.seek(partition, record.offset());
      consumer.pause(List.of(partition));
      rewound.add(partition);
      return;
    }
    StageRequest request;
    try {
      request =
          EventJson.decode(
              record.value() == null ? new byte[0] : record.value(), StageRequest.class);
    } catch (EventDecodingException e) {
      deadLetter(record, partition, e);
      return;
    }
    Long unstarted = firstUnstarted.get(partition);
    boolean firstDelivery = unstarted != null && record.offset() >= unstarted;
    if (unstarted != null) {
      firstUnstarted.put(partition, Math.max(unstarted, record.offset() + 1));
    }
    inFlight.put(partition, new InFlight(record.offset(), request));
    consumer.pause(List.of(partition));
    if (busy() >= config.concurrency()) {
      consumer.pause(consumer.assignment());
    }
    runner.start(
        request,
        firstDelivery,
        commit -> {
          finished.add(new Finished(partition, record.offset(), commit));
          consumer.wakeup();
        });
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

  /**
   * Commits every request finished since the last poll in one commit, rewinds those that must run
   * again, and resumes the partitions that are free.
   */
  private void commitFinished() {
    Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
    Set<TopicPartition> assigned = consumer.assignment();
    Finished done;
    while ((done = finished.poll()) != null) {
      InFlight was = inFlight.get(done.partition());
      if (was != null && was.offset() == done.offset()) {
        inFlight.remove(done.partition());
      }
      leaving.remove(new Finished(done.partition(), done.offset(), false));
      if (!assigned.contains(done.partition())) {
        continue;
      }
      if (done.commit()) {
        commits.merge(
            done.partition(),
            new OffsetAndMetadata(done.offset() + 1),
            (a, b) -> a.offset() >= b.offset() ? a : b);
      } else {
        commits.remove(done.partition());
        consumer.seek(done.partition(), done.offset());
      }
    }
    commit(commits);
    if (draining) {
      consumer.pause(assigned);
    } else if (busy() < config.concurrency()) {
      Set<TopicPartition> idle = new HashSet<>(assigned);
      idle.removeAll(inFlight.keySet());
      consumer.resume(idle);
    }
  }

  /** Stage threads taken: requests running for a partition held, and those still leaving. */
  private int busy() {
    return inFlight.size() + leaving.size();
  }

  private void commit(TopicPartition partition, long offset) {
    commit(Map.of(partition, new OffsetAndMetadata(offset + 1)));
  }

  /**
   * Commits without waiting: the outcomes are already reported, and a commit that is lost only
   * means a request runs again, which the orchestrator absorbs (same attempt, idempotent events). A
   * commit per short stage, awaited, made this thread the bottleneck at tens of stages a second.
   */
  private void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (offsets.isEmpty()) {
      return;
    }
    committing.putAll(offsets);
    consumer.commitAsync(
        offsets,
        (committed, error) -> {
          if (error != null) {
            LOG.debugf("commit of %s failed: %s", committed, error.getMessage());
          }
        });
  }

  /** Waits until the offsets handed to {@link #commit} for {@code partitions} are committed. */
  private void commitNow(Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition partition : partitions) {
      OffsetAndMetadata offset = committing.remove(partition);
      if (offset != null) {
        offsets.put(partition, offset);
      }
    }
    if (offsets.isEmpty()) {
      return;
    }
    while (true) {
      try {
        consumer.commitSync(offsets);
        return;
      } catch (WakeupException e) {
        // A stage finished during the commit; that wake-up was meant for the poll.
        if (stopping) {
          throw e;
        }
      } catch (KafkaException e) {
        // The partitions moved already; their new owner may run the requests again, which the
        // orchestrator absorbs.
        LOG.warnf("could not commit %s: %s", offsets, e.getMessage());
        return;
      }
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
    // The orchestrator reads the group's members to size each pool's dispatch slots; the suffix
    // tells it how many requests this worker runs at once (its WorkerPools parses it).
    consumerConfig.put(
        ConsumerConfig.CLIENT_ID_CONFIG,
        "vct-worker-" + identity.id() + "-threads-" + config.concurrency());
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // One poll may start a request on each free slot; the rest of a partition is read again.
    consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(16, config.concurrency()));
    consumerConfig.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    consumerConfig.put(
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) config.kafka().fetchMaxWait().toMillis());
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
      commitNow(partitions);
      // Closing the consumer revokes too: a drain has stopped its stages already, or ran out of
      // time, so there is nothing to wait for then.
      handOver(partitions, draining ? Duration.ZERO : config.handoverTimeout());
      partitions.forEach(firstUnstarted::remove);
    }

    /** The partitions have a new owner already: stop their stages without waiting. */
    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      metrics.rebalanced("lost");
      partitions.forEach(committing::remove);
      handOver(partitions, Duration.ZERO);
      partitions.forEach(firstUnstarted::remove);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      // Consumers read only below the end (the high watermark): what lies beyond it now can only
      // be read here. Without the ends every request counts as a redelivery (checkpoints listed).
      try {
        firstUnstarted.putAll(consumer.endOffsets(partitions, END_OFFSETS_TIMEOUT));
      } catch (WakeupException e) {
        // A stage finished meanwhile; that wake-up is meant for the poll.
        consumer.wakeup();
      } catch (KafkaException e) {
        LOG.warnf("could not read the end offsets of %s: %s", partitions, e.getMessage());
      }
      if (draining || busy() >= config.concurrency()) {
        consumer.pause(partitions);
      }
    }

    /**
     * Hands the requests running for {@code partitions} over to their next owner: each stops within
     * one UNet pass with a checkpoint of its last completed step, all at once, and this callback
     * waits for them up to {@code timeout} together. Cooperative rebalancing gives the partitions
     * to their new owner only after this returns, so it reads the (uncommitted) request when its
     * checkpoint exists and the stage no longer runs here. One that takes longer keeps its stage
     * thread until it stops.
     */
    private void handOver(Collection<TopicPartition> partitions, Duration timeout) {
      Map<TopicPartition, InFlight> moving = new HashMap<>();
      for (TopicPartition partition : partitions) {
        InFlight running = inFlight.remove(partition);
        if (running != null) {
          moving.put(partition, running);
          runner.stop(running.request().stageRunId(), StopReason.REASSIGNED);
        }
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      for (Map.Entry<TopicPartition, InFlight> entry : moving.entrySet()) {
        StageRequest request = entry.getValue().request();
        boolean stopped;
        try {
          stopped =
              runner.handOver(
                  request.stageRunId(),
                  Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          stopped = false;
        }
        LOG.infof(
            "partition %s moved away; %s of job %s attempt %d %s",
            entry.getKey(),
            request.stage().code(),
            request.jobId(),
            request.attempt(),
            stopped
                ? "checkpointed and stopped; its new owner resumes it"
                : "stops within one UNet pass; its new owner resumes it from its last checkpoint");
        if (!stopped) {
          leaving.add(new Finished(entry.getKey(), entry.getValue().offset(), false));
        }
      }
    }
  }
}
