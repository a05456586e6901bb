package dev.vct.orchestrator.kafka;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.storage.event.Topics;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.health.HealthReport;
import io.smallrye.reactive.messaging.providers.extension.HealthCenter;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Against the real broker and connector, with the orchestrator's consumer settings ({@link
 * NackProbe}): a nacked record is neither dead-lettered nor committed past, even once the records
 * behind it are acknowledged, and the health check reports the failed channel. So a valid event the
 * connector refuses (as while the orchestrator stops) is read again by the next start.
 */
@QuarkusTest
class NackedRecordStaysUnreadTest {
  private static final String GROUP = "vct-orchestrator-nack-probe";

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @Inject NackProbe probe;
  @Inject HealthCenter health;

  @Test
  void aNackedRecordIsNeitherDeadLetteredNorCommittedPast() throws Exception {
    String run = UUID.randomUUID().toString();
    String key = "probe-" + run;
    try (KafkaProducer<String, String> producer = producer();
        KafkaConsumer<String, String> deadLetters = deadLetterReader();
        Admin admin =
            Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      // The probe starts at the end of the topic: send until it reads, then the record it nacks
      // and one behind it in the same partition.
      String ready = "ready:" + run;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!probe.read(ready)) {
        assertTrue(System.nanoTime() < until, "the probe channel never read " + ready);
        send(producer, key, ready);
        Thread.sleep(200);
      }
      String refused = NackProbe.NACK + run;
      RecordMetadata nacked = send(producer, key, refused);
      send(producer, key, "after:" + run);

      until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (!channelFailed()) {
        assertTrue(System.nanoTime() < until, "the health check never reported nack-probe down");
        Thread.sleep(100);
      }
      assertTrue(probe.read(refused));

      // Several commit intervals of the probe channel and a look at the whole dead-letter topic.
      List<String> deadLettered = new ArrayList<>();
      until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (System.nanoTime() < until) {
        for (ConsumerRecord<String, String> r : deadLetters.poll(Duration.ofMillis(200))) {
          deadLettered.add(r.value());
        }
      }
      assertFalse(deadLettered.contains(refused), "the nacked record was dead-lettered");

      TopicPartition partition = new TopicPartition(nacked.topic(), nacked.partition());
      OffsetAndMetadata committed =
          admin
              .listConsumerGroupOffsets(GROUP)
              .partitionsToOffsetAndMetadata()
              .get(10, TimeUnit.SECONDS)
              .get(partition);
      assertTrue(
          committed == null || committed.offset() <= nacked.offset(),
          "committed " + committed + " past the nacked record at " + nacked.offset());
    }
  }

  private boolean channelFailed() {
    HealthReport liveness = health.getLiveness();
    return liveness.getChannels().stream()
        .anyMatch(c -> c.getChannel().equals("nack-probe") && !c.isOk());
  }

  private static RecordMetadata send(
      KafkaProducer<String, String> producer, String key, String value) throws Exception {
    return producer
        .send(new ProducerRecord<>(Topics.JOB_EVENTS, key, value))
        .get(10, TimeUnit.SECONDS);
  }

  private KafkaProducer<String, String> producer() {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ProducerConfig.ACKS_CONFIG,
            "all"),
        new StringSerializer(),
        new StringSerializer());
  }

  private KafkaConsumer<String, String> deadLetterReader() {
    KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG,
                "nack-probe-dead-letters-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new StringDeserializer());
    consumer.subscribe(List.of(Topics.DEAD_LETTER));
    return consumer;
  }
}
