package dev.vct.orchestrator.job;

import static org.junit.jupiter.api.Assertions.fail;

import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.Topics;
import dev.vct.storage.event.VctEvent;
import dev.vct.storage.job.Stage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Plays the workers (and the gateway's Kafka side) against the real broker: collects the stage
 * requests and cancels the orchestrator sends, and sends stage events back as a test says.
 */
public final class FakeWorker implements AutoCloseable {
  private final KafkaConsumer<String, String> consumer;
  private final KafkaProducer<String, String> producer;
  private final List<StageRequest> requests = new ArrayList<>();
  private final List<String> cancels = new ArrayList<>();
  private final List<ConsumerRecord<String, String>> deadLetters = new ArrayList<>();

  public FakeWorker(String bootstrapServers) {
    Map<String, Object> consumerConfig = new HashMap<>();
    consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "fake-worker-" + UUID.randomUUID());
    consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    consumer =
        new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer());
    List<String> topics = new ArrayList<>();
    Arrays.stream(Stage.values()).map(Topics::forStage).forEach(topics::add);
    topics.add(Topics.JOB_CANCEL);
    topics.add(Topics.DEAD_LETTER);
    consumer.subscribe(topics);
    // Join the group and reach the end of every partition before the test sends anything.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (consumer.assignment().isEmpty() && System.nanoTime() < until) {
      consumer.poll(Duration.ofMillis(100));
    }
    consumer.assignment().forEach(consumer::position);
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.LINGER_MS_CONFIG,
                0),
            new StringSerializer(),
            new StringSerializer());
  }

  /** The next request for {@code stage} of {@code job}, waiting up to 15 s. */
  public StageRequest next(UUID job, Stage stage) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < until) {
      for (int i = 0; i < requests.size(); i++) {
        StageRequest r = requests.get(i);
        if (r.jobId().equals(job) && r.stage() == stage) {
          return requests.remove(i);
        }
      }
      poll();
    }
    return fail("no " + stage.code() + " request for job " + job + " within 15 s");
  }

  /** The oldest request not taken yet, of any job, waiting up to 15 s. */
  public StageRequest nextAny() {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (requests.isEmpty() && System.nanoTime() < until) {
      poll();
    }
    return requests.isEmpty() ? fail("no stage request within 15 s") : requests.remove(0);
  }

  /** How many requests are received and not taken, after polling for {@code wait}. */
  public int pending(Duration wait) {
    long until = System.nanoTime() + wait.toNanos();
    do {
      poll();
    } while (System.nanoTime() < until);
    return requests.size();
  }

  /** Every request received for {@code job} so far (after polling for {@code wait}). */
  public List<StageRequest> received(UUID job, Duration wait) {
    long until = System.nanoTime() + wait.toNanos();
    do {
      poll();
    } while (System.nanoTime() < until);
    return requests.stream().filter(r -> r.jobId().equals(job)).toList();
  }

  /** True once a cancel for {@code job} was broadcast, waiting up to 10 s. */
  boolean cancelSeen(UUID job) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < until) {
      if (cancels.stream().anyMatch(c -> c.contains(job.toString()))) {
        return true;
      }
      poll();
    }
    return false;
  }

  /** The cancels for {@code job} broadcast so far, after polling for {@code wait}. */
  List<CancelRequest> cancels(UUID job, Duration wait) {
    long until = System.nanoTime() + wait.toNanos();
    do {
      poll();
    } while (System.nanoTime() < until);
    return cancels.stream()
        .map(c -> EventJson.decode(c, CancelRequest.class))
        .filter(c -> c.jobId().equals(job))
        .toList();
  }

  /** The dead-letter record whose value contains {@code marker}, waiting up to 15 s for it. */
  Optional<ConsumerRecord<String, String>> deadLetter(String marker) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < until) {
      Optional<ConsumerRecord<String, String>> found =
          deadLetters.stream().filter(d -> d.value().contains(marker)).findFirst();
      if (found.isPresent()) {
        return found;
      }
      poll();
    }
    return Optional.empty();
  }

  public void started(StageRequest r) {
    send(StageEvent.Started.of(r.run(), "fake-worker", null));
  }

  /** Starts and finishes {@code r} with the outputs it asked for. */
  public void succeed(StageRequest r) {
    started(r);
    send(succeeded(r));
  }

  /**
   * Finishes {@code r} as a worker does a stage that ends within its started-report delay: no
   * started, the start carried by the success.
   */
  void succeedCarryingStart(StageRequest r, Instant startedAt) {
    StageEvent.Succeeded done = succeeded(r);
    send(
        StageEvent.Succeeded.of(
            r.run(),
            done.outputKeys(),
            done.metrics(),
            new StageEvent.AttemptStart("fake-worker", startedAt, null)));
  }

  StageEvent.Succeeded succeeded(StageRequest r) {
    Map<String, Double> metrics =
        switch (r.stage()) {
          case CONTENT_INVERSION -> Map.of("shape_0", 50.0, "shape_1", 77.0, "shape_2", 768.0);
          case CONCEPT_INVERSION -> Map.of("shape_0", 3.0, "shape_1", 768.0);
          case FUSION -> Map.of();
          case SCORING -> Map.of("lpips", 0.25, "brisque", 20.5);
        };
    Map<BlobRole, String> outputs = r.outputKeys();
    return StageEvent.Succeeded.of(r.run(), outputs, metrics);
  }

  void send(VctEvent event) {
    sendRaw(Topics.STAGE_EVENTS, event.key(), EventJson.encodeToString(event));
  }

  public void sendRaw(String topic, String key, String value) {
    try {
      producer.send(new ProducerRecord<>(topic, key, value)).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot send to " + topic, e);
    }
  }

  private void poll() {
    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
      switch (record.topic()) {
        case Topics.JOB_CANCEL -> cancels.add(record.value());
        case Topics.DEAD_LETTER -> deadLetters.add(record);
        default -> requests.add(EventJson.decode(record.value(), StageRequest.class));
      }
    }
  }

  @Override
  public void close() {
    consumer.close();
    producer.close();
  }
}
