package dev.vct.orchestrator.outbox;

import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.event.Topics;
import dev.vct.storage.event.VctEvent;
import dev.vct.storage.job.JobEventEntry;
import dev.vct.storage.job.Stage;
import dev.vct.storage.persistence.Clock;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.hibernate.Session;

/**
 * Queues, inside the caller's transaction, Kafka records (they leave through {@link OutboxRelay}
 * once it commits) and job events (appended to the job's log, numbered 1, 2, ... per job, what the
 * gateway replays when an SSE client resumes, and sent to {@link Topics#JOB_EVENTS}). {@link
 * #flush} writes everything queued in one statement, a round trip per transaction instead of three
 * per event, and hands the rows it wrote to the relay at once; a transaction that queued something
 * and did not flush it fails to commit.
 *
 * <p>Callers flush while they hold the row lock of the job the records are about: the relay sends
 * batches in the order they were flushed, which is then, for each job, the order in which its
 * transactions committed (see {@link OutboxRelay}).
 *
 * <p>A stage run's changes within one transaction are folded: a {@link JobEvent.StageChanged}
 * replaces the one queued earlier (since the last flush) for the same attempt of the same run, and
 * takes the place of the last change among the job's events. A run queued and dispatched together
 * is logged once, as dispatched: the log holds the state each transaction left, not the steps it
 * took, and a row, a record and an encoding fewer for every fold.
 */
@ApplicationScoped
public class Outbox {
  private static final Object PENDING = new Object();

  /**
   * The job events of the log, numbered after the job's last entry in the order they were queued,
   * and the outbox rows in the order flush puts them, which their ids keep (the scan sends by id);
   * returns the outbox rows' ids. Callers hold the job's row lock, which keeps the numbering
   * gap-free.
   */
  private static final String INSERT =
      """
      with logged as (
        insert into job_events (job_id, seq, event_id, type, payload, created_at)
        select e.job_id,
               coalesce((select max(l.seq) from job_events l where l.job_id = e.job_id), 0)
                 + row_number() over (partition by e.job_id order by e.n),
               e.event_id, e.type, e.payload::jsonb, e.created_at::timestamptz
        from unnest(?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::text[])
          with ordinality as e (job_id, event_id, type, payload, created_at, n)
      )
      insert into outbox (topic, record_key, payload, created_at)
      select o.topic, o.record_key, o.payload, o.created_at::timestamptz
      from unnest(?::text[], ?::text[], ?::text[], ?::text[])
        with ordinality as o (topic, record_key, payload, created_at, n)
      order by o.n
      returning id
      """;

  @Inject TransactionSynchronizationRegistry transactions;
  @Inject EntityManager entityManager;
  @Inject OutboxRelay relay;

  /** Queues {@code event} for {@code topic}, keyed by its job id. Requires a transaction. */
  public void add(String topic, VctEvent event) {
    pending().queued.add(new Row(topic, event.key(), EventJson.encodeToString(event)));
  }

  /**
   * Queues {@code event} for its job's log and for {@link Topics#JOB_EVENTS}; a stage change drops
   * the change this transaction queued earlier for the same attempt of the run (see above).
   */
  public void addJobEvent(JobEvent event) {
    Pending pending = pending();
    Logged logged = new Logged(event, Clock.now().toString());
    if (event instanceof JobEvent.StageChanged changed) {
      Logged earlier = pending.stageChanges.put(RunAttempt.of(changed), logged);
      if (earlier != null) {
        pending.queued.remove(earlier);
      }
    }
    pending.queued.add(logged);
  }

  /**
   * Writes what this transaction queued and hands it to the relay, which sends it once the
   * transaction commits (and never if it rolls back).
   */
  public void flush() {
    Pending pending = (Pending) transactions.getResource(PENDING);
    if (pending == null || pending.queued.isEmpty()) {
      return;
    }
    // Work for the workers goes out before the job events that tell clients about it: a stage
    // request waits for nothing else, and a job's events keep their order among themselves.
    pending.queued.sort(Comparator.comparing(Outbox::forJobEvents));
    Rows rows = Rows.of(pending.queued);
    long[] ids =
        entityManager.unwrap(Session.class).doReturningWork(connection -> insert(connection, rows));
    OutboxRelay.Batch batch =
        new OutboxRelay.Batch(
            ids,
            rows.records().stream()
                .map(r -> new ProducerRecord<>(r.topic(), r.key(), r.payload()))
                .toList());
    if (relay.enqueue(batch)) {
      pending.batches.add(batch);
    }
    pending.queued.clear();
    // what is written stays written: a later change of the same run is an event of its own
    pending.stageChanges.clear();
  }

  private static boolean forJobEvents(Queued queued) {
    return queued instanceof Logged || ((Row) queued).topic().equals(Topics.JOB_EVENTS);
  }

  /** Inserts the queued rows; returns the outbox rows' ids in the order the rows were queued. */
  private static long[] insert(Connection connection, Rows rows) throws SQLException {
    List<JobEvent> logged = rows.loggedEvents();
    List<Row> loggedRows = rows.loggedRows();
    List<Row> records = rows.records();
    try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
      insert.setArray(1, array(connection, "uuid", logged.stream().map(JobEvent::jobId).toList()));
      insert.setArray(
          2, array(connection, "uuid", logged.stream().map(JobEvent::eventId).toList()));
      insert.setArray(
          3, array(connection, "text", logged.stream().map(JobEventEntry::typeName).toList()));
      insert.setArray(4, array(connection, "text", loggedRows.stream().map(Row::payload).toList()));
      insert.setArray(
          5, array(connection, "text", loggedRows.stream().map(Row::createdAt).toList()));
      insert.setArray(6, array(connection, "text", records.stream().map(Row::topic).toList()));
      insert.setArray(7, array(connection, "text", records.stream().map(Row::key).toList()));
      insert.setArray(8, array(connection, "text", records.stream().map(Row::payload).toList()));
      insert.setArray(9, array(connection, "text", records.stream().map(Row::createdAt).toList()));
      long[] ids = new long[records.size()];
      int count = 0;
      try (ResultSet inserted = insert.executeQuery()) {
        while (inserted.next()) {
          if (count == ids.length) {
            throw new SQLException("the outbox insert returned more ids than it had rows");
          }
          ids[count++] = inserted.getLong(1);
        }
      }
      if (count != ids.length) {
        throw new SQLException(
            "the outbox insert returned " + count + " ids for " + ids.length + " rows");
      }
      // Ids are drawn in insert order (order by o.n); returning does not promise an order.
      Arrays.sort(ids);
      return ids;
    }
  }

  private static Array array(Connection connection, String type, List<?> values)
      throws SQLException {
    return connection.createArrayOf(type, values.toArray());
  }

  private Pending pending() {
    Pending pending = (Pending) transactions.getResource(PENDING);
    if (pending == null) {
      pending = new Pending();
      transactions.putResource(PENDING, pending);
      transactions.registerInterposedSynchronization(pending);
    }
    return pending;
  }

  /** What a transaction queued: an outbox row, or a job event for the log and the outbox. */
  private sealed interface Queued permits Row, Logged {}

  /** One outbox row; {@code createdAt} as ISO-8601 text, cast by the insert. */
  private record Row(String topic, String key, String payload, String createdAt) implements Queued {
    Row(String topic, String key, String payload) {
      this(topic, key, payload, Clock.now().toString());
    }
  }

  /** A job event, encoded only at the flush (a folded one never is). */
  private record Logged(JobEvent event, String createdAt) implements Queued {
    Row row() {
      return new Row(Topics.JOB_EVENTS, event.key(), EventJson.encodeToString(event), createdAt);
    }
  }

  /** The attempt of a stage run that a stage change is about. */
  private record RunAttempt(UUID jobId, Stage stage, int attempt) {
    static RunAttempt of(JobEvent.StageChanged changed) {
      return new RunAttempt(changed.jobId(), changed.stage(), changed.attempt());
    }
  }

  /**
   * What one flush writes: the outbox rows in order, and among them the job events' rows with their
   * events, for the log.
   */
  private record Rows(List<Row> records, List<JobEvent> loggedEvents, List<Row> loggedRows) {
    static Rows of(List<Queued> queued) {
      List<Row> records = new ArrayList<>(queued.size());
      List<JobEvent> loggedEvents = new ArrayList<>();
      List<Row> loggedRows = new ArrayList<>();
      for (Queued q : queued) {
        if (q instanceof Logged logged) {
          Row row = logged.row();
          loggedEvents.add(logged.event());
          loggedRows.add(row);
          records.add(row);
        } else {
          records.add((Row) q);
        }
      }
      return new Rows(records, loggedEvents, loggedRows);
    }
  }

  /** What one transaction queued. */
  private final class Pending implements Synchronization {
    final List<Queued> queued = new ArrayList<>();

    /** The stage changes queued since the last flush, by run attempt, to fold later ones into. */
    final Map<RunAttempt, Logged> stageChanges = new HashMap<>();

    final List<OutboxRelay.Batch> batches = new ArrayList<>();

    @Override
    public void beforeCompletion() {
      if (!queued.isEmpty()) {
        throw new IllegalStateException(
            queued.size()
                + " outbox records were queued but never written: call Outbox.flush() before the"
                + " transaction ends; rolling back");
      }
    }

    @Override
    public void afterCompletion(int status) {
      if (!batches.isEmpty()) {
        // Any other status than committed (rolled back, unknown): the relay drops the batches;
        // rows that did commit after all are left to its scan.
        relay.completed(batches, status == Status.STATUS_COMMITTED);
      }
    }
  }
}
