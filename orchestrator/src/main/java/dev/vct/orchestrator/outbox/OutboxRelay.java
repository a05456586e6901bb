package dev.vct.orchestrator.outbox;

import io.quarkus.narayana.jta.QuarkusTransaction;
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
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Sends committed {@link OutboxRecord}s to Kafka in id order and deletes them once the broker
 * acknowledged them. Woken after every commit that added records, and every second regardless
 * (records left by a crash or by a broker outage). Rows are locked with SKIP LOCKED, so several
 * orchestrator replicas never send the same row at the same time; a record sent but not yet deleted
 * when the process dies is sent again, which consumers absorb by event id.
 */
@ApplicationScoped
public class OutboxRelay {
  private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
  private static final int BATCH = 500;
  private static final Duration IDLE_CHECK = Duration.ofSeconds(1);
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> kafkaConfig;

  private final Semaphore signal = new Semaphore(0);
  private volatile boolean running;
  private KafkaProducer<String, String> producer;
  private Thread thread;

  void start(@Observes StartupEvent event) {
    Map<String, Object> config = new HashMap<>(kafkaConfig);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // Stage requests are latency-bound and few: send at once instead of waiting to batch.
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "vct-orchestrator-outbox");
    producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    running = true;
    thread = new Thread(this::loop, "outbox-relay");
    thread.setDaemon(true);
    thread.start();
  }

  void stop(@Observes ShutdownEvent event) throws InterruptedException {
    running = false;
    wake();
    thread.join(SEND_TIMEOUT.toMillis());
    producer.close(Duration.ofSeconds(5));
  }

  /** Asks the relay to look for records now. */
  public void wake() {
    if (signal.availablePermits() == 0) {
      signal.release();
    }
  }

  private void loop() {
    long backoffMillis = 100;
    while (running) {
      try {
        signal.tryAcquire(IDLE_CHECK.toMillis(), TimeUnit.MILLISECONDS);
        signal.drainPermits();
        while (running && relayBatch() == BATCH) {
          // a full batch: more may be waiting
        }
        backoffMillis = 100;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.warnf("outbox relay failed, retrying in %d ms: %s", backoffMillis, e.getMessage());
        sleep(backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, 5_000);
      }
    }
  }

  private int relayBatch() {
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              @SuppressWarnings("unchecked")
              List<OutboxRecord> records =
                  OutboxRecord.getEntityManager()
                      .createNativeQuery(
                          "select * from outbox order by id limit ?1 for update skip locked",
                          OutboxRecord.class)
                      .setParameter(1, BATCH)
                      .getResultList();
              if (records.isEmpty()) {
                return 0;
              }
              List<Future<RecordMetadata>> sent =
                  records.stream()
                      .map(
                          r -> producer.send(new ProducerRecord<>(r.topic, r.recordKey, r.payload)))
                      .toList();
              for (Future<RecordMetadata> ack : sent) {
                ack.get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
              }
              OutboxRecord.delete("id in ?1", records.stream().map(r -> r.id).toList());
              return records.size();
            });
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
