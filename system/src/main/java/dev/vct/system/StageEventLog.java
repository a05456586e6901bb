package dev.vct.system;

import dev.vct.storage.event.EventDecodingException;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.Topics;
import java.time.Duration;
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
 * Every report the workers sent ({@code vct.stage.events}, all partitions from the beginning, no
 * consumer group): what the tests inspect to see which worker ran what, and from which step.
 */
public final class StageEventLog implements AutoCloseable {
  private final KafkaConsumer<String, String> consumer;
  private final List<StageEvent> events = new ArrayList<>();

  public StageEventLog(String bootstrapServers) {
    consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new StringDeserializer(),
            new StringDeserializer());
    List<TopicPartition> partitions =
        consumer.partitionsFor(Topics.STAGE_EVENTS, Duration.ofSeconds(30)).stream()
            .map(p -> new TopicPartition(p.topic(), p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** The events received so far, after reading what arrived since the last call. */
  public List<StageEvent> events() {
    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
      try {
        events.add(EventJson.decode(record.value(), StageEvent.class));
      } catch (EventDecodingException e) {
        // not a stage event (a test's poison record); nothing to inspect
      }
    }
    return List.copyOf(events);
  }

  /** Waits for the first event of {@code type} matching {@code condition}. */
  public <T extends StageEvent> T await(Class<T> type, Predicate<T> condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<T> found = find(type, condition);
      if (found.isPresent()) {
        return found.get();
      }
    }
    throw new IllegalStateException(
        "no " + type.getSimpleName() + " as expected within " + timeout.toSeconds() + " s");
  }

  /** The first event of {@code type} matching {@code condition} received so far. */
  public <T extends StageEvent> Optional<T> find(Class<T> type, Predicate<T> condition) {
    return events().stream().filter(type::isInstance).map(type::cast).filter(condition).findFirst();
  }

  /** Every event of {@code type} matching {@code condition} received so far. */
  public <T extends StageEvent> List<T> all(Class<T> type, Predicate<T> condition) {
    return events().stream().filter(type::isInstance).map(type::cast).filter(condition).toList();
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
  }
}
