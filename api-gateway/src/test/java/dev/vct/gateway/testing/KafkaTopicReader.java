package dev.vct.gateway.testing;

import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.VctEvent;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.ConfigProvider;

/** Reads what is published to a topic from the moment it is opened. */
public final class KafkaTopicReader implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;

  public KafkaTopicReader(String topic) {
    Properties props = new Properties();
    props.put(
        "bootstrap.servers",
        ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class));
    props.put("key.deserializer", StringDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    props.put("enable.auto.commit", "false");
    consumer = new KafkaConsumer<>(props);
    List<TopicPartition> partitions =
        waitForPartitions(topic).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position); // resolve the end offsets now, before anything is sent
  }

  private List<org.apache.kafka.common.PartitionInfo> waitForPartitions(String topic) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      List<org.apache.kafka.common.PartitionInfo> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(5));
      if (partitions != null && !partitions.isEmpty()) {
        return partitions;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("topic " + topic + " never appeared");
      }
    }
  }

  /** The first event of {@code type} matching {@code wanted}, within 20 seconds. */
  public <T extends VctEvent> T await(Class<T> type, Predicate<T> wanted) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        VctEvent event = EventJson.decode(record.value(), VctEvent.class);
        if (type.isInstance(event) && wanted.test(type.cast(event))) {
          return type.cast(event);
        }
      }
    }
    throw new AssertionError("no matching " + type.getSimpleName() + " within 20 s");
  }

  @Override
  public void close() {
    consumer.close();
  }
}
