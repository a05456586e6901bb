package dev.vct.orchestrator.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.local.test.PostgresTestResource;
import dev.vct.local.test.S3TestResource;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.event.Topics;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The outbox against real PostgreSQL and Kafka: what a transaction flushes reaches the topic after
 * it commits, in commit order per job, never after a rollback, and the table empties behind it.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = S3TestResource.class, restrictToAnnotatedClass = false)
class OutboxTest {
  private static final Pattern MARK = Pattern.compile("\"errorMessage\":\"([^\"]*)\"");

  @Inject Outbox outbox;
  @Inject EntityManager entityManager;
  @Inject DataSource dataSource;

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @Test
  void transactionThatQueuedRecordsWithoutFlushingThemDoesNotCommit() {
    UUID job = UUID.randomUUID();
    assertThrows(
        RuntimeException.class,
        () ->
            QuarkusTransaction.requiringNew()
                .run(
                    () ->
                        outbox.add(
                            Topics.JOB_CANCEL, CancelRequest.of(job, UUID.randomUUID(), "test"))));
    assertEquals(0, rowsFor(List.of(job)));
  }

  @Test
  void flushWritesTheQueuedRecordsInTheOrderTheyWereQueued() {
    UUID job = UUID.randomUUID();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              outbox.add(Topics.JOB_CANCEL, CancelRequest.of(job, UUID.randomUUID(), "first"));
              outbox.add(Topics.JOB_CANCEL, CancelRequest.of(job, UUID.randomUUID(), "second"));
              outbox.flush();
              // Still uncommitted, so the relay cannot have sent and deleted them yet.
              @SuppressWarnings("unchecked")
              List<String> written =
                  entityManager
                      .createNativeQuery(
                          "select payload from outbox where record_key = ?1 order by id")
                      .setParameter(1, job.toString())
                      .getResultList();
              assertEquals(2, written.size());
              assertTrue(written.get(0).contains("first"));
              assertTrue(written.get(1).contains("second"));
            });
  }

  /**
   * Threads run transactions on a few jobs at once; each holds its job's lock (as JobService holds
   * the job row) and numbers its records after the job's previous transaction. The lock is released
   * at commit, before the relay hears of the commit, so the next transaction of the job can flush
   * while the previous one is not yet sendable: the topic must still show every job's records in
   * commit order. Then the table must empty (the relay deletes what the broker acknowledged).
   */
  @Test
  void recordsOfConcurrentTransactionsReachTheTopicInCommitOrderPerJobAndLeaveTheTable()
      throws Exception {
    List<UUID> jobs = List.of(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
    UUID tenant = UUID.randomUUID();
    int transactions = 200;
    Map<UUID, AtomicInteger> committed = new HashMap<>();
    jobs.forEach(j -> committed.put(j, new AtomicInteger()));
    try (KafkaConsumer<String, String> consumer = consumerAtEnd()) {
      ExecutorService threads = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < transactions; t++) {
          UUID job = jobs.get(t % jobs.size());
          done.add(
              threads.submit(
                  () ->
                      QuarkusTransaction.requiringNew()
                          .run(
                              () -> {
                                entityManager
                                    .createNativeQuery("select 1 from pg_advisory_xact_lock(?1)")
                                    .setParameter(1, job.getMostSignificantBits())
                                    .getSingleResult();
                                // Under the job's lock: this transaction's place in commit order.
                                int n = committed.get(job).getAndIncrement();
                                outbox.add(Topics.JOB_EVENTS, marked(job, tenant, n + ".0"));
                                outbox.add(Topics.JOB_EVENTS, marked(job, tenant, n + ".1"));
                                outbox.flush();
                              })));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        threads.shutdown();
      }

      List<ConsumerRecord<String, String>> received =
          read(consumer, r -> jobs.contains(UUID.fromString(r.key())), 2 * transactions);
      for (UUID job : jobs) {
        List<String> expected = new ArrayList<>();
        for (int n = 0; n < committed.get(job).get(); n++) {
          expected.add(n + ".0");
          expected.add(n + ".1");
        }
        List<String> seen =
            received.stream()
                .filter(r -> r.key().equals(job.toString()))
                .map(r -> mark(r.value()))
                .toList();
        assertEquals(expected, seen, "records of job " + job + " in the order they arrived");
      }
    }
    awaitNoRows(jobs);
  }

  @Test
  void recordsOfATransactionThatFlushedAndRolledBackAreNeverSent() {
    UUID job = UUID.randomUUID();
    UUID tenant = UUID.randomUUID();
    try (KafkaConsumer<String, String> consumer = consumerAtEnd()) {
      assertThrows(
          IllegalStateException.class,
          () ->
              QuarkusTransaction.requiringNew()
                  .run(
                      () -> {
                        outbox.add(Topics.JOB_EVENTS, marked(job, tenant, "rolled-back"));
                        outbox.flush();
                        throw new IllegalStateException("roll back after the flush");
                      }));
      assertEquals(0, rowsFor(List.of(job)));
      // The relay sends in flush order: once the later record arrived, the dropped one is past.
      QuarkusTransaction.requiringNew()
          .run(
              () -> {
                outbox.add(Topics.JOB_EVENTS, marked(job, tenant, "committed"));
                outbox.flush();
              });
      List<String> seen =
          read(consumer, r -> r.key().equals(job.toString()), 1).stream()
              .map(r -> mark(r.value()))
              .toList();
      assertEquals(List.of("committed"), seen);
    }
    awaitNoRows(List.of(job));
  }

  /** Rows a process left behind when it died after the commit: the scan sends them, in id order. */
  @Test
  void rowsLeftInTheTableByACrashedProcessAreSentByTheScanAndDeleted() throws SQLException {
    UUID job = UUID.randomUUID();
    UUID tenant = UUID.randomUUID();
    try (KafkaConsumer<String, String> consumer = consumerAtEnd()) {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement insert =
              connection.prepareStatement(
                  "insert into outbox (topic, record_key, payload, created_at)"
                      + " values (?, ?, ?, now() - interval '1 minute')")) {
        for (int i = 0; i < 3; i++) {
          insert.setString(1, Topics.JOB_EVENTS);
          insert.setString(2, job.toString());
          insert.setString(3, EventJson.encodeToString(marked(job, tenant, "left-" + i)));
          insert.executeUpdate();
        }
      }
      List<String> seen =
          read(consumer, r -> r.key().equals(job.toString()), 3).stream()
              .map(r -> mark(r.value()))
              .toList();
      assertEquals(List.of("left-0", "left-1", "left-2"), seen);
    }
    awaitNoRows(List.of(job));
  }

  private static JobEvent marked(UUID job, UUID tenant, String mark) {
    return JobEvent.Completed.failed(job, tenant, "outbox-test", mark);
  }

  private static String mark(String payload) {
    Matcher m = MARK.matcher(payload);
    if (!m.find()) {
      return fail("no errorMessage in " + payload);
    }
    return m.group(1);
  }

  /** A consumer of the job events topic positioned at its end. */
  private KafkaConsumer<String, String> consumerAtEnd() {
    KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new StringDeserializer(),
            new StringDeserializer());
    List<TopicPartition> partitions =
        consumer.partitionsFor(Topics.JOB_EVENTS).stream()
            .map(p -> new TopicPartition(p.topic(), p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    return consumer;
  }

  /**
   * The records matching {@code wanted}, in arrival order per partition, once {@code count} of them
   * arrived, plus any more that arrive within a second after that (a duplicate or a stray record
   * would show); fails after 30 s.
   */
  private static List<ConsumerRecord<String, String>> read(
      KafkaConsumer<String, String> consumer,
      Predicate<ConsumerRecord<String, String>> wanted,
      int count) {
    List<ConsumerRecord<String, String>> received = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (received.size() < count) {
      if (System.nanoTime() - deadline > 0) {
        fail("only " + received.size() + " of " + count + " records arrived within 30 s");
      }
      consumer.poll(Duration.ofMillis(100)).forEach(r -> add(r, wanted, received));
    }
    long settle = System.nanoTime() + Duration.ofSeconds(1).toNanos();
    while (System.nanoTime() - settle < 0) {
      consumer.poll(Duration.ofMillis(100)).forEach(r -> add(r, wanted, received));
    }
    return received;
  }

  private static void add(
      ConsumerRecord<String, String> record,
      Predicate<ConsumerRecord<String, String>> wanted,
      List<ConsumerRecord<String, String>> received) {
    if (wanted.test(record)) {
      received.add(record);
    }
  }

  private void awaitNoRows(List<UUID> jobs) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    long left;
    while ((left = rowsFor(jobs)) > 0) {
      if (System.nanoTime() - deadline > 0) {
        fail(left + " outbox rows of " + jobs + " were still in the table 5 s after they arrived");
      }
      sleep(50);
    }
  }

  private long rowsFor(List<UUID> jobs) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement count =
            connection.prepareStatement("select count(*) from outbox where record_key = any(?)")) {
      count.setArray(
          1, connection.createArrayOf("text", jobs.stream().map(UUID::toString).toArray()));
      try (ResultSet rows = count.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
