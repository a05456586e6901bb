package dev.vct.storage.event;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.local.test.PostgresTestResource;
import dev.vct.local.test.S3TestResource;
import dev.vct.storage.event.kafka.EventSerializer;
import dev.vct.storage.event.kafka.VctEventDeserializer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** Every event type through a real Kafka broker, on the topic it belongs to, keyed by job. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(KafkaTestResource.class)
@WithTestResource(S3TestResource.class)
class EventKafkaRoundTripTest {

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  private static String topicOf(VctEvent event) {
    if (event instanceof StageRequest request) {
      return Topics.forStage(request.stage());
    } else if (event instanceof StageEvent) {
      return Topics.STAGE_EVENTS;
    } else if (event instanceof JobEvent) {
      return Topics.JOB_EVENTS;
    } else if (event instanceof CancelRequest) {
      return Topics.JOB_CANCEL;
    }
    return Topics.JOB_SUBMITTED;
  }

  @Test
  void everyEventRoundTripsThroughItsTopic() throws Exception {
    createTopics();
    List<VctEvent> sent = SampleEvents.all();
    try (KafkaProducer<String, VctEvent> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.ACKS_CONFIG,
                "all"),
            new StringSerializer(),
            new EventSerializer())) {
      for (VctEvent event : sent) {
        producer.send(new ProducerRecord<>(topicOf(event), event.key(), event)).get();
      }
    }

    Map<UUID, ConsumerRecord<String, VctEvent>> received = new HashMap<>();
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "storage-test-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, VctEvent> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new VctEventDeserializer())) {
      consumer.subscribe(Topics.all());
      Instant deadline = Instant.now().plusSeconds(60);
      while (received.size() < sent.size() && Instant.now().isBefore(deadline)) {
        for (ConsumerRecord<String, VctEvent> record : consumer.poll(Duration.ofMillis(500))) {
          received.put(record.value().eventId(), record);
        }
      }
    }

    for (VctEvent event : sent) {
      ConsumerRecord<String, VctEvent> record = received.get(event.eventId());
      assertEquals(event, record == null ? null : record.value(), "event " + event);
      assertEquals(topicOf(event), record.topic());
      assertEquals(event.jobId().toString(), record.key());
    }
  }

  private void createTopics() throws InterruptedException, ExecutionException {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      for (String topic : Topics.all()) {
        try {
          admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
    }
  }
}
