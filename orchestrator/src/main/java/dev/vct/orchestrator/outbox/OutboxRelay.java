package dev.vct.orchestrator.outbox;

import dev.vct.storage.persistence.Clock;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Sends the rows {@link Outbox} wrote to Kafka once their transaction committed, and deletes them
 * once the broker acknowledged them ({@code acks=all}, idempotent producer).
 *
 * <p><b>The fast path.</b> {@link Outbox#flush} hands this relay the rows it inserted, as one
 * {@link Batch}, while the transaction is still open; the transaction's completion then marks the
 * batch committed (sendable) or rolled back (dropped, never sent). Batches queue in flush order and
 * one thread sends them from the head: it stops at a batch whose transaction has not completed yet
 * and skips dropped ones. Callers flush while they hold the job's row lock, and a later transaction
 * of the same job can flush only after the earlier one committed and released it, so a job's
 * batches queue, and are sent, in the order their transactions committed; the producer keeps that
 * order per partition. A failed send keeps its batch where it is: nothing newer is sent until every
 * send in flight has answered, then the unacknowledged records are sent again from the oldest,
 * after a back-off. Acknowledged rows are deleted in bulk by a second thread (one statement per 50
 * ms or per {@value #DELETE_BATCH} rows), off the path of the next send. A row whose delete failed
 * stays in memory and is deleted later; a row the process could not delete before it died is sent
 * again by the next start's scan, which consumers absorb (they dedupe by event id).
 *
 * <p><b>The scan.</b> Rows the process does not hold in memory are found by a scan, at start and
 * then every second: rows left by a process that died between commit and delete, rows of batches
 * refused while the queue was full (over {@value #MAX_ROWS_IN_MEMORY} rows, see {@link #enqueue}),
 * and rows whose transaction ended in an unknown state. It locks them with {@code for update skip
 * locked}, so two replicas' scans never send a row at the same time, sends them in id order and
 * deletes them in the same transaction once acknowledged. Another replica sends its own rows from
 * memory without locking them; the scan only takes rows older than a grace period ({@link
 * #SCAN_GRACE}), by which time that replica has normally sent and deleted them, so replicas seldom
 * send each other's rows twice. The scan at start has no grace: rows a crashed process left must go
 * out at once, and a duplicate of another replica's row in flight is harmless.
 *
 * <p><b>What can still reorder.</b> A row sent by the scan can reach Kafka after a newer row of the
 * same job that went through memory: a row of a killed process (when its job moved on in another
 * replica before the scan ran) or of a batch refused because the queue was full (the job's next
 * batch may be accepted and sent before the scan's grace period ends). Both need a crash or a
 * backlog of {@value #MAX_ROWS_IN_MEMORY} rows. A transaction whose outcome is unknown to this
 * process is treated like an overflow: its rows, if they committed, wait for the scan.
 */
@ApplicationScoped
public class OutboxRelay {
  private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
  static final int MAX_ROWS_IN_MEMORY = 10_000;
  static final int SCAN_BATCH = 500;
  static final Duration SCAN_INTERVAL = Duration.ofSeconds(1);
  static final Duration SCAN_GRACE = Duration.ofSeconds(5);
  static final int DELETE_BATCH = 500;
  static final Duration DELETE_DELAY = Duration.ofMillis(50);
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
  private static final long MIN_BACKOFF_MILLIS = 100;
  private static final long MAX_BACKOFF_MILLIS = 5_000;

  private static final String SCAN =
      """
      select id, topic, record_key, payload from outbox
      where created_at <= ? and id <> all(?)
      order by id limit ? for update skip locked
      """;
  private static final String DELETE = "delete from outbox where id = any(?)";

  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> kafkaConfig;

  @Inject DataSource dataSource;

  /** Guards the queue, the batches' state and {@link #inMemory}. */
  private final Object lock = new Object();

  /** Batches not sent yet, in flush order. */
  private final ArrayDeque<Batch> waiting = new ArrayDeque<>();

  /** Batches sent and not fully acknowledged, in send order. */
  private final LinkedHashSet<Batch> inFlight = new LinkedHashSet<>();

  /** Ids of the rows queued, in flight or acknowledged and not deleted yet: the scan skips them. */
  private final Set<Long> inMemory = new HashSet<>();

  /** Ids of acknowledged batches, for the deleting thread. */
  private final LinkedBlockingQueue<long[]> acknowledged = new LinkedBlockingQueue<>();

  private final Semaphore signal = new Semaphore(0);
  private boolean accepting;
  private boolean overflowing;
  private boolean sendFailed;
  private Exception sendFailure;
  private long backoffMillis = MIN_BACKOFF_MILLIS;
  private volatile boolean running;
  private volatile boolean deleting;
  private KafkaProducer<String, String> producer;
  private Thread relayThread;
  private Thread deleteThread;

  void start(@Observes StartupEvent event) {
    Map<String, Object> config = new HashMap<>(kafkaConfig);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // A transaction's records (a stage request and one to three job events, or more for a batch)
    // are handed over within microseconds: a millisecond of linger sends them in one request
    // instead of one each, which cost the broker about 2 ms of CPU per job (./vct bench jobs).
    config.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "vct-orchestrator-outbox");
    producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    synchronized (lock) {
      accepting = true;
    }
    running = true;
    deleting = true;
    relayThread = new Thread(this::relay, "outbox-relay");
    relayThread.setDaemon(true);
    relayThread.start();
    deleteThread = new Thread(this::deleteAcknowledged, "outbox-delete");
    deleteThread.setDaemon(true);
    deleteThread.start();
  }

  /**
   * Stops taking batches (their rows stay in the table for the next start), sends what committed
   * within {@link #SEND_TIMEOUT}, deletes what was acknowledged and closes the producer.
   */
  void stop(@Observes ShutdownEvent event) throws InterruptedException {
    synchronized (lock) {
      accepting = false;
    }
    running = false;
    wake();
    relayThread.join(SEND_TIMEOUT.toMillis() + 5_000);
    deleting = false;
    deleteThread.join(10_000);
    producer.close(Duration.ofSeconds(5));
  }

  /**
   * Queues the rows one {@link Outbox#flush} wrote, to be sent once {@link #completed} says their
   * transaction committed. Refused (false) while the process stops or when the relay already holds
   * {@value #MAX_ROWS_IN_MEMORY} rows: the rows then wait in the table for the scan.
   */
  boolean enqueue(Batch batch) {
    synchronized (lock) {
      if (!accepting) {
        return false;
      }
      if (inMemory.size() + batch.ids.length > MAX_ROWS_IN_MEMORY) {
        if (!overflowing) {
          overflowing = true;
          LOG.warnf(
              "outbox relay holds %d rows (Kafka slow or down?): newer rows wait in the outbox"
                  + " table for the scan, sent after %d s, possibly after a newer row of the same"
                  + " job",
              inMemory.size(), SCAN_GRACE.toSeconds());
        }
        return false;
      }
      if (overflowing) {
        overflowing = false;
        LOG.infof("outbox relay queue has room again (%d rows held)", inMemory.size());
      }
      for (long id : batch.ids) {
        inMemory.add(id);
      }
      waiting.addLast(batch);
      return true;
    }
  }

  /** The transaction that flushed {@code batches} ended: send them if it committed, else drop. */
  void completed(List<Batch> batches, boolean committed) {
    synchronized (lock) {
      for (Batch batch : batches) {
        batch.state = committed ? State.COMMITTED : State.DROPPED;
        if (!committed) {
          forget(batch.ids);
        }
      }
    }
    if (committed) {
      wake();
    }
  }

  private void wake() {
    if (signal.availablePermits() == 0) {
      signal.release();
    }
  }

  private void relay() {
    scanSafely(Duration.ZERO);
    long nextScan = System.nanoTime() + SCAN_INTERVAL.toNanos();
    while (running) {
      try {
        long backoff = retryAfterFailure();
        if (backoff > 0) {
          Thread.sleep(backoff);
        }
        sendCommitted();
        if (System.nanoTime() - nextScan >= 0) {
          if (!failing()) {
            scanSafely(SCAN_GRACE);
          }
          nextScan = System.nanoTime() + SCAN_INTERVAL.toNanos();
        }
        long untilScan = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextScan - System.nanoTime()));
        signal.tryAcquire(untilScan, TimeUnit.MILLISECONDS);
        signal.drainPermits();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    drain();
  }

  /** At shutdown: sends what is committed, for at most {@link #SEND_TIMEOUT}. */
  private void drain() {
    long deadline = System.nanoTime() + SEND_TIMEOUT.toNanos();
    while (System.nanoTime() - deadline < 0) {
      synchronized (lock) {
        if (sendFailed || (waiting.isEmpty() && inFlight.isEmpty())) {
          break;
        }
      }
      sendCommitted();
      try {
        signal.tryAcquire(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    synchronized (lock) {
      if (!waiting.isEmpty() || !inFlight.isEmpty()) {
        LOG.warnf(
            "outbox relay stopped with %d batches unsent or unacknowledged: their rows stay in the"
                + " outbox table and the next start sends them",
            waiting.size() + inFlight.size());
      }
    }
  }

  private boolean failing() {
    synchronized (lock) {
      return sendFailed;
    }
  }

  /** Sends the committed batches at the head of the queue, in order. */
  private void sendCommitted() {
    List<Batch> ready = new ArrayList<>();
    synchronized (lock) {
      if (sendFailed) {
        return;
      }
      while (!waiting.isEmpty()) {
        Batch head = waiting.peekFirst();
        if (head.state == State.UNCOMMITTED) {
          break;
        }
        waiting.pollFirst();
        if (head.state == State.COMMITTED) {
          inFlight.add(head);
          ready.add(head);
        }
      }
    }
    for (Batch batch : ready) {
      if (!send(batch)) {
        return;
      }
    }
  }

  /** Sends the records of {@code batch} not acknowledged yet; false when a send fails at once. */
  private boolean send(Batch batch) {
    for (int i = 0; i < batch.records.size(); i++) {
      int index = i;
      synchronized (lock) {
        if (sendFailed) {
          return false;
        }
        if (batch.acked[index]) {
          continue;
        }
        batch.outstanding++;
      }
      try {
        producer.send(batch.records.get(index), (metadata, error) -> answered(batch, index, error));
      } catch (RuntimeException e) {
        answered(batch, index, e);
        return false;
      }
    }
    return true;
  }

  /** The broker answered one record (on the producer's thread). */
  private void answered(Batch batch, int index, Exception error) {
    synchronized (lock) {
      batch.outstanding--;
      if (error == null) {
        batch.acked[index] = true;
        batch.unacked--;
        backoffMillis = MIN_BACKOFF_MILLIS;
        if (batch.unacked == 0) {
          inFlight.remove(batch);
          acknowledged.add(batch.ids);
        }
        if (!sendFailed) {
          return;
        }
      } else if (!sendFailed) {
        sendFailed = true;
        sendFailure = error;
      }
    }
    wake();
  }

  /**
   * After a failed send, once every send in flight answered: puts the batches not fully
   * acknowledged back at the head of the queue, in their order, to be sent again after a back-off.
   *
   * @return the milliseconds to wait before sending again, 0 when there is nothing to retry
   */
  private long retryAfterFailure() {
    synchronized (lock) {
      if (!sendFailed || inFlight.stream().anyMatch(b -> b.outstanding > 0)) {
        return 0;
      }
      List<Batch> again = new ArrayList<>(inFlight);
      inFlight.clear();
      for (int i = again.size() - 1; i >= 0; i--) {
        waiting.addFirst(again.get(i));
      }
      sendFailed = false;
      long backoff = backoffMillis;
      backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF_MILLIS);
      LOG.warnf(
          "outbox relay could not send (%s), sending %d batches again in %d ms",
          sendFailure.toString(), again.size(), backoff);
      return backoff;
    }
  }

  private void forget(long[] ids) {
    for (long id : ids) {
      inMemory.remove(id);
    }
  }

  private void scanSafely(Duration grace) {
    try {
      while (scan(grace) == SCAN_BATCH) {
        // a full batch: more may be waiting
      }
    } catch (RuntimeException e) {
      LOG.warnf("outbox scan failed, retrying in %d s: %s", SCAN_INTERVAL.toSeconds(), e);
    }
  }

  /**
   * Sends and deletes, in one transaction, up to {@link #SCAN_BATCH} rows older than {@code grace}
   * that this process does not hold in memory.
   *
   * @return how many rows it selected
   */
  private int scan(Duration grace) {
    Long[] held;
    synchronized (lock) {
      held = inMemory.toArray(Long[]::new);
    }
    Instant cutoff = Clock.now().minus(grace);
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              try (Connection connection = dataSource.getConnection()) {
                List<Long> ids = new ArrayList<>();
                List<ProducerRecord<String, String>> records = new ArrayList<>();
                int selected = 0;
                try (PreparedStatement select = connection.prepareStatement(SCAN)) {
                  select.setObject(1, OffsetDateTime.ofInstant(cutoff, ZoneOffset.UTC));
                  select.setArray(2, connection.createArrayOf("bigint", held));
                  select.setInt(3, SCAN_BATCH);
                  try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                      selected++;
                      ids.add(rows.getLong(1));
                      records.add(
                          new ProducerRecord<>(
                              rows.getString(2), rows.getString(3), rows.getString(4)));
                    }
                  }
                }
                synchronized (lock) {
                  // Flushed and committed after the snapshot above: the fast path sends them.
                  for (int i = ids.size() - 1; i >= 0; i--) {
                    if (inMemory.contains(ids.get(i))) {
                      ids.remove(i);
                      records.remove(i);
                    }
                  }
                }
                if (ids.isEmpty()) {
                  return selected;
                }
                List<Future<RecordMetadata>> acks = records.stream().map(producer::send).toList();
                long deadline = System.nanoTime() + SEND_TIMEOUT.toNanos();
                for (Future<RecordMetadata> ack : acks) {
                  ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                }
                try (PreparedStatement delete = connection.prepareStatement(DELETE)) {
                  delete.setArray(1, connection.createArrayOf("bigint", ids.toArray(Long[]::new)));
                  delete.executeUpdate();
                }
                LOG.infof("outbox scan sent %d rows that were not relayed from memory", ids.size());
                return selected;
              } catch (SQLException | ExecutionException | TimeoutException e) {
                throw new IllegalStateException("outbox scan: " + e.getMessage(), e);
              }
            });
  }

  /** The deleting thread: deletes acknowledged rows in bulk, retrying after a failure. */
  private void deleteAcknowledged() {
    while (deleting || !acknowledged.isEmpty()) {
      try {
        long[] first = acknowledged.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        List<long[]> batch = new ArrayList<>(List.of(first));
        int count = first.length;
        long deadline = System.nanoTime() + DELETE_DELAY.toNanos();
        while (count < DELETE_BATCH && deleting) {
          long[] more = acknowledged.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
          if (more == null) {
            break;
          }
          batch.add(more);
          count += more.length;
        }
        deleteUntilDone(batch.stream().flatMapToLong(Arrays::stream).toArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void deleteUntilDone(long[] ids) throws InterruptedException {
    long backoff = MIN_BACKOFF_MILLIS;
    while (true) {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement delete = connection.prepareStatement(DELETE)) {
        delete.setArray(
            1, connection.createArrayOf("bigint", Arrays.stream(ids).boxed().toArray(Long[]::new)));
        delete.executeUpdate();
        synchronized (lock) {
          forget(ids);
        }
        return;
      } catch (SQLException | RuntimeException e) {
        if (!deleting) {
          LOG.warnf(
              "outbox relay could not delete %d sent rows while stopping (the next start sends"
                  + " them again): %s",
              ids.length, e.getMessage());
          return;
        }
        LOG.warnf(
            "outbox relay could not delete %d sent rows, retrying in %d ms: %s",
            ids.length, backoff, e.getMessage());
        Thread.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
      }
    }
  }

  enum State {
    UNCOMMITTED,
    COMMITTED,
    DROPPED
  }

  /** The rows one flush wrote: their ids and their records, in the order they were queued. */
  static final class Batch {
    final long[] ids;
    final List<ProducerRecord<String, String>> records;
    final boolean[] acked;
    // Guarded by the relay's lock.
    State state = State.UNCOMMITTED;
    int unacked;
    int outstanding;

    Batch(long[] ids, List<ProducerRecord<String, String>> records) {
      if (ids.length != records.size()) {
        throw new IllegalArgumentException(
            ids.length + " ids for " + records.size() + " outbox records");
      }
      this.ids = ids;
      this.records = records;
      this.acked = new boolean[ids.length];
      this.unacked = ids.length;
    }
  }
}
