package dev.vct.worker.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Stage;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worker's producer against a real broker, with a linger of seconds (the most its delivery
 * timeout allows): a report that nothing waits for only goes out with the next awaited one, and an
 * awaited one never waits for the linger.
 */
class StageEventSenderTest {
  private static final Duration LONG_LINGER = Duration.ofSeconds(4);

  private final String clientId = "stage-event-sender-test-" + UUID.randomUUID();
  private String bootstrapServers;
  private StageEventSender sender;

  @BeforeEach
  void start() throws Exception {
    bootstrapServers = new KafkaTestResource().start().get("kafka.bootstrap.servers");
    topicsReady();
    sender = new StageEventSender();
    sender.kafkaConfig =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ProducerConfig.CLIENT_ID_CONFIG,
            clientId);
    sender.linger = LONG_LINGER;
    sender.start(null);
  }

  @AfterEach
  void stop() {
    sender.stop(null);
  }

  @Test
  void startedAndTheOutcomeGoInOneProduceRequestWithoutWaitingForTheLinger() throws Exception {
    StageRunRef run =
        new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), Stage.CONTENT_INVERSION, 1);
    Instant began = Instant.now();

    sender.send(StageEvent.Started.of(run, "worker-1", null));
    boolean acknowledged =
        sender.sendAndWait(
            StageEvent.Succeeded.of(run, Map.of(), Map.of("loss", 0.25)),
            Instant.now().plusSeconds(15));

    Duration took = Duration.between(began, Instant.now());
    assertTrue(acknowledged, "the broker acknowledged the outcome");
    assertTrue(
        took.compareTo(LONG_LINGER) < 0, "the outcome did not wait for the linger: took " + took);
    assertEquals(
        2.0, producerMetric("record-send-total"), "both reports reached the broker by then");
    assertEquals(
        2.0,
        producerMetric("records-per-request-avg"),
        "the only produce request carried started and the outcome");

    List<StageEvent> reports = reportsOf(run.jobId(), 2);
    assertInstanceOf(StageEvent.Started.class, reports.get(0), "started comes first");
    assertInstanceOf(StageEvent.Succeeded.class, reports.get(1));
  }

  @Test
  void aReportAloneWaitsForTheLingerAndADeadLetterDoesNot() throws Exception {
    StageRunRef run = new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), Stage.FUSION, 1);
    sender.send(StageEvent.Heartbeat.of(run, "worker-1"));
    Thread.sleep(500);
    assertEquals(0.0, producerMetric("record-send-total"), "the heartbeat still lingers");

    Instant began = Instant.now();
    sender.deadLetter(
        new ConsumerRecord<>(Topics.STAGE_FUSION, 0, 7L, "key", new byte[] {1, 2}),
        new IllegalArgumentException("not a stage request"));

    Duration took = Duration.between(began, Instant.now());
    assertTrue(
        took.compareTo(LONG_LINGER) < 0,
        "the dead letter did not wait for the linger: took " + took);
    assertEquals(2.0, producerMetric("record-send-total"), "the heartbeat went with it");
  }

  /**
   * Makes sure both topics exist with a leader, so that the sender's first produce request succeeds
   * at once and its metrics count each record once (a retried batch is counted again).
   */
  private void topicsReady() throws Exception {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
            new StringSerializer(),
            new ByteArraySerializer())) {
      for (String topic : List.of(Topics.STAGE_EVENTS, Topics.DEAD_LETTER)) {
        producer.send(new ProducerRecord<>(topic, "warm-up", new byte[0])).get();
      }
    }
  }

  private double producerMetric(String name) throws Exception {
    Object value =
        ManagementFactory.getPlatformMBeanServer()
            .getAttribute(
                new ObjectName("kafka.producer:type=producer-metrics,client-id=" + clientId), name);
    return ((Number) value).doubleValue();
  }

  private List<StageEvent> reportsOf(UUID jobId, int expected) {
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.GROUP_ID_CONFIG,
            "stage-event-sender-test-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    List<StageEvent> reports = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(Topics.STAGE_EVENTS).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Instant giveUp = Instant.now().plusSeconds(30);
      while (reports.size() < expected && Instant.now().isBefore(giveUp)) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (jobId.toString().equals(record.key())) {
            reports.add(EventJson.decode(record.value(), StageEvent.class));
          }
        }
      }
    }
    assertEquals(expected, reports.size(), "reports of job " + jobId + ": " + reports);
    return reports;
  }
}
