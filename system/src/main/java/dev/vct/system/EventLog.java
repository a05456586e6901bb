package dev.vct.system;

import dev.vct.storage.event.EventDecodingException;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.VctEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Every event on some topics (all partitions from the beginning, no consumer group), with the time
 * the broker got each: what the tests inspect to see which worker ran what and from which step, and
 * what the benchmark times the hops of a job with.
 */
public final class EventLog implements AutoCloseable {

  /** An event and when its record was produced (the record's create time). */
  public record Received(Instant produced, VctEvent event) {}

  private final KafkaConsumer<String, String> consumer;
  private final List<Received> received = new ArrayList<>();

  public EventLog(String bootstrapServers, List<String> topics) {
    consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                5_000),
            new StringDeserializer(),
            new StringDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition()))
          .forEach(partitions::add);
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** The records received so far, after reading what arrived since the last call. */
  public List<Received> received() {
    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
      try {
        received.add(
            new Received(
                Instant.ofEpochMilli(record.timestamp()),
                EventJson.decode(record.value(), VctEvent.class)));
      } catch (EventDecodingException e) {
        // not an event (a test's poison record); nothing to inspect
      }
    }
    return List.copyOf(received);
  }

  /** Waits for the first event of {@code type} matching {@code condition}. */
  public <T extends VctEvent> T await(Class<T> type, Predicate<T> condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<T> found = all(type, condition).stream().findFirst();
      if (found.isPresent()) {
        return found.get();
      }
    }
    throw new IllegalStateException(
        "no " + type.getSimpleName() + " as expected within " + timeout.toSeconds() + " s");
  }

  /** Every event of {@code type} matching {@code condition} received so far. */
  public <T extends VctEvent> List<T> all(Class<T> type, Predicate<T> condition) {
    return received().stream()
        .map(Received::event)
        .filter(type::isInstance)
        .map(type::cast)
        .filter(condition)
        .toList();
  }

  /**
   * The start of a stage attempt that {@code event} reports: a {@code Started}, or the start a
   * {@code Succeeded} carries when its worker sent no {@code Started} (a stage that ended within
   * the worker's {@code vct.worker.started-report-delay}), as the {@code Started} it stands for.
   */
  public static Optional<StageEvent.Started> startIn(VctEvent event) {
    if (event instanceof StageEvent.Started started) {
      return Optional.of(started);
    }
    if (event instanceof StageEvent.Succeeded s && s.unreportedStart() != null) {
      StageEvent.AttemptStart start = s.unreportedStart();
      return Optional.of(
          new StageEvent.Started(
              s.eventId(),
              start.startedAt(),
              s.jobId(),
              s.stageRunId(),
              s.stage(),
              s.attempt(),
              start.workerId(),
              start.resumedFromStep()));
    }
    return Optional.empty();
  }

  /** Every start of a stage attempt matching {@code condition} so far; see {@link #startIn}. */
  public List<StageEvent.Started> starts(Predicate<StageEvent.Started> condition) {
    return received().stream()
        .map(Received::event)
        .flatMap(e -> startIn(e).stream())
        .filter(condition)
        .toList();
  }

  /** Waits for the first start of a stage attempt matching {@code condition}. */
  public StageEvent.Started awaitStart(Predicate<StageEvent.Started> condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<StageEvent.Started> found = starts(condition).stream().findFirst();
      if (found.isPresent()) {
        return found.get();
      }
    }
    throw new IllegalStateException(
        "no stage start as expected within " + timeout.toSeconds() + " s");
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
  }
}
