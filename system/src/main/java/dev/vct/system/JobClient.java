package dev.vct.system;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vct.storage.blob.BlobStore;
import dev.vct.storage.blob.Sha256;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.Topics;
import dev.vct.storage.event.VctEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Plays the API gateway against a {@link JobStack}: creates a tenant, creates queued jobs in
 * PostgreSQL and announces them on {@code vct.job.submitted}, and reads jobs, stage runs and the
 * job event log back. Job rows are inserted over one kept connection (as the gateway's pool does; a
 * connection per job made PostgreSQL start a backend per job), opened again after a failure; every
 * other database call opens its own, so all of it works across a PostgreSQL restart once the server
 * is back.
 */
public final class JobClient implements AutoCloseable {

  /** The model id of the jobs; the simulated workers accept any. */
  public static final String MODEL = "simulated";

  /** One row of {@code jobs}. */
  public record JobRow(
      UUID id,
      String status,
      String resultKey,
      String errorCode,
      String errorMessage,
      Instant createdAt,
      Instant finishedAt) {
    public boolean terminal() {
      return status.equals("succeeded") || status.equals("failed") || status.equals("cancelled");
    }
  }

  /** One row of {@code stage_runs}. */
  public record StageRunRow(
      UUID id,
      String stage,
      int attempt,
      String status,
      Integer checkpointStep,
      String outputKey) {}

  private final JobStack stack;
  private final KafkaProducer<String, String> producer;
  private final UUID tenant = UUID.randomUUID();

  /** Where job rows are inserted; null until the first insert and after a failure. */
  private Connection inserts;

  public JobClient(JobStack stack) {
    this.stack = stack;
    this.producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafka().bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG,
                0,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                120_000),
            new StringSerializer(),
            new StringSerializer());
    update(
        "insert into tenants (id, name, max_concurrent_jobs, requests_per_minute)"
            + " values (?, ?, 1000000, 1000000)",
        tenant,
        "system-test-" + tenant);
  }

  /**
   * Creates a queued job with fresh input hashes (so no inversion is served from the cache) and
   * sends its submission, as the gateway does after storing the inputs.
   */
  public UUID submit(Map<String, Object> parameters, long seed) {
    UUID job = UUID.randomUUID();
    insertJob(job, parameters, seed);
    announce(job);
    return job;
  }

  /**
   * Creates a queued job whose reference image is {@code reference} (its hash stands for the
   * image's bytes: jobs with the same reference and parameters share their concept inversion's
   * cache key, so they share its flight) and a fresh source, and sends its submission.
   */
  public UUID submit(Map<String, Object> parameters, long seed, String reference) {
    UUID job = UUID.randomUUID();
    insertJob(job, parameters, seed, Sha256.hex("shared-reference/" + reference));
    announce(job);
    return job;
  }

  /** Creates the job's row only (a gateway that crashed before sending the submission). */
  public void insertJob(UUID job, Map<String, Object> parameters, long seed) {
    insertJob(job, parameters, seed, Sha256.hex(job + "/reference"));
  }

  private void insertJob(
      UUID job, Map<String, Object> parameters, long seed, String referenceSha256) {
    String json;
    try {
      json = EventJson.mapper().writeValueAsString(parameters);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("parameters are not JSON-serializable", e);
    }
    insert(
        "insert into jobs (id, tenant_id, status, parameters, seed, model_id, source_key,"
            + " source_sha256, reference_key, reference_sha256)"
            + " values (?, ?, 'queued', ?::jsonb, ?, ?, ?, ?, ?, ?)",
        job,
        tenant,
        json,
        seed,
        MODEL,
        "inputs/" + job + "/source.png",
        Sha256.hex(job + "/source"),
        "inputs/" + job + "/reference.png",
        referenceSha256);
  }

  /** Sends the job's submission and waits until the broker has it. */
  public void announce(UUID job) {
    send(Topics.JOB_SUBMITTED, job, JobSubmitted.of(job, tenant));
  }

  private void send(String topic, UUID job, VctEvent event) {
    try {
      producer
          .send(new ProducerRecord<>(topic, job.toString(), EventJson.encodeToString(event)))
          .get(2, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "interrupted while sending to " + topic + " for job " + job, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("could not send to " + topic + " for job " + job, e);
    }
  }

  /**
   * Asks for the job to be cancelled, as the gateway does: marks the row, then sends the request
   * the orchestrator acts on.
   */
  public void cancel(UUID job) {
    update("update jobs set cancel_requested = true where id = ?", job);
    send(Topics.JOB_CANCEL, job, CancelRequest.of(job, tenant, "cancelled by the chaos suite"));
  }

  /** The jobs' rows (absent ids are left out). */
  public Map<UUID, JobRow> jobs(Collection<UUID> ids) {
    return query(
        "select id, status, result_key, error_code, error_message, created_at, finished_at"
            + " from jobs where id = any (?)",
        ids,
        rs -> {
          Map<UUID, JobRow> rows = new HashMap<>();
          while (rs.next()) {
            UUID id = rs.getObject(1, UUID.class);
            rows.put(
                id,
                new JobRow(
                    id,
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getString(5),
                    instant(rs.getTimestamp(6)),
                    instant(rs.getTimestamp(7))));
          }
          return rows;
        });
  }

  public JobRow job(UUID id) {
    JobRow row = jobs(List.of(id)).get(id);
    if (row == null) {
      throw new IllegalArgumentException("no job " + id);
    }
    return row;
  }

  /** How many {@code job.completed} events each job's event log holds (0 when none). */
  public Map<UUID, Integer> completions(Collection<UUID> ids) {
    return query(
        "select job_id, count(*) from job_events where type = 'job.completed'"
            + " and job_id = any (?) group by job_id",
        ids,
        rs -> {
          Map<UUID, Integer> counts = new HashMap<>();
          for (UUID id : ids) {
            counts.put(id, 0);
          }
          while (rs.next()) {
            counts.put(rs.getObject(1, UUID.class), rs.getInt(2));
          }
          return counts;
        });
  }

  public List<StageRunRow> stageRuns(UUID job) {
    return query(
        "select id, stage, attempt, status, checkpoint_step, output_key from stage_runs"
            + " where job_id = any (?)"
            + " order by stage",
        List.of(job),
        rs -> {
          List<StageRunRow> rows = new ArrayList<>();
          while (rs.next()) {
            rows.add(
                new StageRunRow(
                    rs.getObject(1, UUID.class),
                    rs.getString(2),
                    rs.getInt(3),
                    rs.getString(4),
                    (Integer) rs.getObject(5),
                    rs.getString(6)));
          }
          return rows;
        });
  }

  /** One inversion's stage run with what single flight recorded on it. */
  public record KeyedRunRow(
      UUID id,
      UUID jobId,
      String cacheKey,
      int attempt,
      String status,
      String outputKey,
      UUID waitingFor,
      boolean sharedRerun) {}

  /** The concept inversions of {@code jobs}, with their cache keys and whom they waited for. */
  public List<KeyedRunRow> conceptRuns(Collection<UUID> jobs) {
    return query(
        "select id, job_id, cache_key, attempt, status, output_key, waiting_for, shared_rerun"
            + " from stage_runs where job_id = any (?) and stage = 'concept_inversion'"
            + " order by created_at, id",
        jobs,
        rs -> {
          List<KeyedRunRow> rows = new ArrayList<>();
          while (rs.next()) {
            rows.add(
                new KeyedRunRow(
                    rs.getObject(1, UUID.class),
                    rs.getObject(2, UUID.class),
                    rs.getString(3),
                    rs.getInt(4),
                    rs.getString(5),
                    rs.getString(6),
                    rs.getObject(7, UUID.class),
                    rs.getBoolean(8)));
          }
          return rows;
        });
  }

  /** When a stage run's last attempt was queued, dispatched, started and finished. */
  public record StageTimes(
      UUID id,
      UUID jobId,
      String stage,
      Instant queuedAt,
      Instant dispatchedAt,
      Instant startedAt,
      Instant finishedAt) {}

  /** The stage runs of {@code jobs} with their times. */
  public List<StageTimes> stageTimes(Collection<UUID> jobs) {
    return query(
        "select id, job_id, stage, queued_at, dispatched_at, started_at, finished_at"
            + " from stage_runs where job_id = any (?)",
        jobs,
        rs -> {
          List<StageTimes> rows = new ArrayList<>();
          while (rs.next()) {
            rows.add(
                new StageTimes(
                    rs.getObject(1, UUID.class),
                    rs.getObject(2, UUID.class),
                    rs.getString(3),
                    instant(rs.getTimestamp(4)),
                    instant(rs.getTimestamp(5)),
                    instant(rs.getTimestamp(6)),
                    instant(rs.getTimestamp(7))));
          }
          return rows;
        });
  }

  /** The worker pools as the dispatcher last recorded them: stage to (pool, slots). */
  public Map<String, Map.Entry<String, Integer>> dispatchPools() {
    try (Connection c = connect();
        PreparedStatement statement =
            c.prepareStatement("select stage, pool, slots from stage_dispatch");
        ResultSet rs = statement.executeQuery()) {
      Map<String, Map.Entry<String, Integer>> pools = new HashMap<>();
      while (rs.next()) {
        pools.put(rs.getString(1), Map.entry(rs.getString(2), rs.getInt(3)));
      }
      return pools;
    } catch (SQLException e) {
      throw new IllegalStateException("query failed: " + e.getMessage(), e);
    }
  }

  public StageRunRow stageRun(UUID job, String stage) {
    return stageRuns(job).stream()
        .filter(r -> r.stage().equals(stage))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("job " + job + " has no " + stage + " run"));
  }

  /**
   * Waits until every job is in a terminal state, retrying through database outages.
   *
   * @return the jobs' final rows
   * @throws IllegalStateException naming the unfinished jobs when {@code timeout} passes first
   */
  public Map<UUID, JobRow> awaitTerminal(Collection<UUID> ids, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    // Each poll reads only the jobs not seen ended yet: reading every job of a step 10 times a
    // second loaded the database the last jobs of the step ran against.
    Map<UUID, JobRow> ended = new HashMap<>();
    Map<UUID, JobRow> last = Map.of();
    String lastError = "";
    while (System.nanoTime() < deadline) {
      try {
        last = jobs(ids.stream().filter(id -> !ended.containsKey(id)).toList());
        last.values().stream().filter(JobRow::terminal).forEach(row -> ended.put(row.id(), row));
        if (ended.size() == ids.size()) {
          return ended;
        }
      } catch (IllegalStateException e) {
        lastError = e.getMessage();
      }
      sleep(Duration.ofMillis(100));
    }
    // jobs not found at all count as unfinished too
    List<JobRow> open = last.values().stream().filter(r -> !r.terminal()).toList();
    throw new IllegalStateException(
        (ids.size() - ended.size())
            + " of "
            + ids.size()
            + " jobs not finished after "
            + timeout.toSeconds()
            + " s: "
            + open.stream().limit(5).map(r -> r.id() + " " + r.status()).toList()
            + (lastError.isEmpty() ? "" : " (last database error: " + lastError + ")"));
  }

  /** The text of a blob (the simulated stages write their final state as text). */
  public String readText(String key) {
    BlobStore blobs = stack.blobs();
    try (InputStream in = blobs.open(key)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read blob " + key, e);
    }
  }

  @Override
  public synchronized void close() {
    producer.close(Duration.ofSeconds(5));
    closeInserts();
  }

  @FunctionalInterface
  private interface Rows<T> {
    T read(ResultSet rs) throws SQLException;
  }

  private <T> T query(String sql, Collection<UUID> ids, Rows<T> rows) {
    try (Connection c = connect();
        PreparedStatement statement = c.prepareStatement(sql)) {
      statement.setArray(1, c.createArrayOf("uuid", ids.toArray()));
      try (ResultSet rs = statement.executeQuery()) {
        return rows.read(rs);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("query failed: " + e.getMessage(), e);
    }
  }

  private void update(String sql, Object... values) {
    try (Connection c = connect();
        PreparedStatement statement = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) {
        statement.setObject(i + 1, values[i]);
      }
      statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("update failed: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code sql} over the kept connection; when that fails (the server restarted since), once
   * more over a new one.
   */
  private synchronized void insert(String sql, Object... values) {
    boolean reused = inserts != null;
    try {
      insertOnce(sql, values);
    } catch (SQLException e) {
      closeInserts();
      if (!reused) {
        throw new IllegalStateException("insert failed: " + e.getMessage(), e);
      }
      try {
        insertOnce(sql, values);
      } catch (SQLException again) {
        closeInserts();
        throw new IllegalStateException("insert failed: " + again.getMessage(), again);
      }
    }
  }

  private void insertOnce(String sql, Object... values) throws SQLException {
    if (inserts == null) {
      inserts = connect();
    }
    try (PreparedStatement statement = inserts.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) {
        statement.setObject(i + 1, values[i]);
      }
      statement.executeUpdate();
    }
  }

  private void closeInserts() {
    if (inserts != null) {
      try {
        inserts.close();
      } catch (SQLException e) {
        // already broken; a new one is opened on the next insert
      }
      inserts = null;
    }
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(
        stack.postgres().jdbcUrl(), stack.postgres().username(), stack.postgres().password());
  }

  private static Instant instant(Timestamp timestamp) {
    return timestamp == null ? null : timestamp.toInstant();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
