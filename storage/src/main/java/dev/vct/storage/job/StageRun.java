package dev.vct.storage.job;

import dev.vct.storage.persistence.Clock;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * One stage of one job: a single row per (job, stage) that the orchestrator updates across
 * attempts. Each dispatch raises {@link #attempt}; events of an older attempt are stale and change
 * nothing ({@link #isCurrent}).
 */
@Entity
@Table(name = "stage_runs")
public class StageRun extends PanacheEntityBase {

  @Id public UUID id;

  @Column(name = "job_id", nullable = false, updatable = false)
  public UUID jobId;

  @Convert(converter = Stage.Converter.class)
  @Column(nullable = false, updatable = false)
  public Stage stage;

  /** 0 before the first dispatch; raised by one on every dispatch. */
  @Column(nullable = false)
  public int attempt;

  @Convert(converter = StageRunStatus.Converter.class)
  @Column(nullable = false)
  public StageRunStatus status;

  /** When the current attempt is considered lost unless a heartbeat extends it. */
  @Column(name = "lease_expires_at")
  public Instant leaseExpiresAt;

  @Column(name = "last_heartbeat_at")
  public Instant lastHeartbeatAt;

  @Column(name = "progress_step")
  public Integer progressStep;

  @Column(name = "progress_total")
  public Integer progressTotal;

  @Column(name = "progress_loss")
  public Double progressLoss;

  /** The latest checkpoint a worker reported; a new attempt resumes from it. */
  @Column(name = "checkpoint_key")
  public String checkpointKey;

  @Column(name = "checkpoint_step")
  public Integer checkpointStep;

  /**
   * An inversion's cache key (its embedding's content-addressed blob key); null for fusion and
   * scoring. At most one run per key is in flight ({@link #IN_FLIGHT_FOR_KEY}); the others wait.
   */
  @Column(name = "cache_key", updatable = false)
  public String cacheKey;

  /**
   * While {@link StageRunStatus#WAITING}: the identical run it waits for. Kept once it took that
   * run's output, to say whose it is.
   */
  @Column(name = "waiting_for")
  public UUID waitingFor;

  /**
   * This run reruns, for the runs that waited for it, an identical run that failed; when it fails
   * too, they fail with it.
   */
  @Column(name = "shared_rerun", nullable = false)
  public boolean sharedRerun;

  /** Why the stage did not run, when it is {@link StageRunStatus#SKIPPED}. */
  @Column(name = "skip_reason")
  public String skipReason;

  @Column(name = "output_key")
  public String outputKey;

  @Column(name = "error_code")
  public String errorCode;

  @Column(name = "error_message")
  public String errorMessage;

  @Column(name = "error_retryable")
  public Boolean errorRetryable;

  /** Retries spent so far (re-dispatches after a failure or an expired lease). */
  @Column(name = "retry_count", nullable = false)
  public int retryCount;

  /** When a pending retry may be dispatched; null when none waits. */
  @Column(name = "next_attempt_at")
  public Instant nextAttemptAt;

  @Column(name = "created_at", nullable = false, updatable = false)
  public Instant createdAt;

  /**
   * When the current attempt joined the dispatch queue; kept once it is dispatched ({@code
   * dispatched_at} minus this is how long it waited for a slot); null before the first attempt.
   */
  @Column(name = "queued_at")
  public Instant queuedAt;

  @Column(name = "dispatched_at")
  public Instant dispatchedAt;

  @Column(name = "started_at")
  public Instant startedAt;

  @Column(name = "finished_at")
  public Instant finishedAt;

  @Version
  @Column(nullable = false)
  public long version;

  /**
   * The statuses in which a run holds its cache key's flight: from its planning, through queueing,
   * its attempts and their retry back-offs, to its end (the partial unique index of V28).
   */
  public static final List<StageRunStatus> IN_FLIGHT_FOR_KEY =
      List.of(
          StageRunStatus.PENDING,
          StageRunStatus.QUEUED,
          StageRunStatus.DISPATCHED,
          StageRunStatus.RUNNING);

  /** A new pending run of {@code stage} for {@code jobId}, not yet persisted. */
  public static StageRun pending(UUID jobId, Stage stage) {
    StageRun run = new StageRun();
    run.id = UUID.randomUUID();
    run.jobId = jobId;
    run.stage = stage;
    run.status = StageRunStatus.PENDING;
    run.createdAt = Clock.now();
    return run;
  }

  public static Optional<StageRun> find(UUID jobId, Stage stage) {
    return find("jobId = ?1 and stage = ?2", jobId, stage).firstResultOptional();
  }

  /** The job's stage runs in stage order (content, concept, fusion, scoring). */
  public static List<StageRun> forJob(UUID jobId) {
    List<StageRun> runs = list("jobId", jobId);
    runs.sort(Comparator.comparing(run -> run.stage));
    return runs;
  }

  /** In-flight runs (dispatched or running) whose lease ended before {@code now}, oldest first. */
  public static List<StageRun> expiredLeases(Instant now, int limit) {
    return find(
            "status in (?1, ?2) and leaseExpiresAt < ?3 order by leaseExpiresAt",
            StageRunStatus.DISPATCHED,
            StageRunStatus.RUNNING,
            now)
        .page(0, limit)
        .list();
  }

  /** Pending runs whose retry back-off has passed by {@code now}, earliest first. */
  public static List<StageRun> dueForRetry(Instant now, int limit) {
    return find(
            "status = ?1 and nextAttemptAt <= ?2 order by nextAttemptAt",
            StageRunStatus.PENDING,
            now)
        .page(0, limit)
        .list();
  }

  /**
   * True when an event about ({@code stageRunId}, {@code attempt}) speaks for this run's current
   * attempt; events of earlier attempts are fenced off.
   */
  public boolean isCurrent(UUID stageRunId, int attempt) {
    return id.equals(stageRunId) && this.attempt == attempt;
  }
}
