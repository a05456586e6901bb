package dev.vct.storage.job;

import dev.vct.storage.persistence.Clock;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import io.quarkus.panache.common.Parameters;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.annotations.Mutability;
import org.hibernate.type.SqlTypes;
import org.hibernate.type.descriptor.java.Immutability;

/**
 * One translation request of a tenant. The gateway creates it; only the orchestrator changes its
 * status. Updates are guarded by {@link #version} (optimistic locking).
 */
@Entity
@Table(name = "jobs")
public class Job extends PanacheEntityBase {

  @Id public UUID id;

  @Column(name = "tenant_id", nullable = false, updatable = false)
  public UUID tenantId;

  @Convert(converter = JobStatus.Converter.class)
  @Column(nullable = false)
  public JobStatus status;

  /**
   * The translation parameters as the client gave them (after validation), as JSON. Written once
   * with the row and never changed: immutable to Hibernate, which then neither keeps a JSON copy of
   * it per loaded job nor compares or rewrites it on every flush of a job update.
   */
  @Immutable
  @JdbcTypeCode(SqlTypes.JSON)
  @Column(nullable = false, updatable = false, columnDefinition = "jsonb")
  public Map<String, Object> parameters;

  @Column(nullable = false)
  public long seed;

  @Column(name = "model_id", nullable = false)
  public String modelId;

  /** The client's Idempotency-Key, unique per tenant; null when none was sent. */
  /**
   * Reorders this tenant's own jobs in the dispatch queue, higher first (-10 to 10); it never moves
   * a job ahead of another tenant's. A copy of the knob {@code priority} of {@link #parameters},
   * for the dispatcher's queries.
   */
  @Column(nullable = false, updatable = false)
  public int priority;

  @Column(name = "idempotency_key", updatable = false)
  public String idempotencyKey;

  /** Hash of the request that used {@link #idempotencyKey}, to reject a reuse with other data. */
  @Column(name = "request_hash", updatable = false)
  public String requestHash;

  @Column(name = "source_key", nullable = false)
  public String sourceKey;

  @Column(name = "source_sha256", nullable = false)
  public String sourceSha256;

  @Column(name = "reference_key", nullable = false)
  public String referenceKey;

  @Column(name = "reference_sha256", nullable = false)
  public String referenceSha256;

  @Column(name = "result_key")
  public String resultKey;

  /**
   * Set once, when the job succeeds. A record is immutable, so Hibernate compares it by equals
   * instead of keeping a JSON copy of it per loaded job.
   */
  @Mutability(Immutability.class)
  @JdbcTypeCode(SqlTypes.JSON)
  @Column(columnDefinition = "jsonb")
  public Scores scores;

  @Column(name = "error_code")
  public String errorCode;

  @Column(name = "error_message")
  public String errorMessage;

  @Column(name = "cancel_requested", nullable = false)
  public boolean cancelRequested;

  @Column(name = "created_at", nullable = false, updatable = false)
  public Instant createdAt;

  @Column(name = "started_at")
  public Instant startedAt;

  @Column(name = "finished_at")
  public Instant finishedAt;

  @Version
  @Column(nullable = false)
  public long version;

  /**
   * A new queued job, not yet persisted. The caller picks the id, so it can store the inputs under
   * {@code inputs/<id>/} before inserting the row.
   */
  public static Job queued(
      UUID id,
      UUID tenantId,
      Map<String, Object> parameters,
      long seed,
      String modelId,
      String sourceKey,
      String sourceSha256,
      String referenceKey,
      String referenceSha256) {
    Job job = new Job();
    job.id = id;
    job.tenantId = tenantId;
    job.status = JobStatus.QUEUED;
    job.parameters = parameters;
    job.seed = seed;
    job.modelId = modelId;
    job.sourceKey = sourceKey;
    job.sourceSha256 = sourceSha256;
    job.referenceKey = referenceKey;
    job.referenceSha256 = referenceSha256;
    job.createdAt = Clock.now();
    return job;
  }

  /** The job {@code id} if it belongs to {@code tenantId}; another tenant's job is not found. */
  public static Optional<Job> findForTenant(UUID tenantId, UUID id) {
    return find("id = ?1 and tenantId = ?2", id, tenantId).firstResultOptional();
  }

  public static Optional<Job> findByIdempotencyKey(UUID tenantId, String idempotencyKey) {
    return find("tenantId = ?1 and idempotencyKey = ?2", tenantId, idempotencyKey)
        .firstResultOptional();
  }

  /**
   * A page of a tenant's jobs, newest first, strictly after {@code after} (null for the first
   * page). Keyset pagination on (createdAt, id): stable while new jobs arrive.
   */
  public static List<Job> pageForTenant(UUID tenantId, PageCursor after, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("page limit must be positive, got " + limit);
    }
    if (after == null) {
      return find("tenantId = ?1 order by createdAt desc, id desc", tenantId).page(0, limit).list();
    }
    return find(
            "tenantId = :tenant and (createdAt < :created or (createdAt = :created and id < :id))"
                + " order by createdAt desc, id desc",
            Parameters.with("tenant", tenantId)
                .and("created", after.createdAt())
                .and("id", after.id()))
        .page(0, limit)
        .list();
  }

  public static List<Job> listForTenant(UUID tenantId, JobStatus status) {
    return list("tenantId = ?1 and status = ?2 order by createdAt", tenantId, status);
  }

  /** Jobs of the tenant that count against its concurrency limit (queued or running). */
  public static long countActive(UUID tenantId) {
    return count(
        "tenantId = ?1 and status in ?2", tenantId, List.of(JobStatus.QUEUED, JobStatus.RUNNING));
  }

  /** Where the next page after this job starts. */
  public PageCursor cursor() {
    return new PageCursor(createdAt, id);
  }
}
