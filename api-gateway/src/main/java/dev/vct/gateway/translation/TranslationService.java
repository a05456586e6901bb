package dev.vct.gateway.translation;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vct.gateway.config.GatewayConfig;
import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import dev.vct.gateway.image.InspectedImage;
import dev.vct.inputs.Knob;
import dev.vct.inputs.KnobValues;
import dev.vct.storage.blob.BlobKeys;
import dev.vct.storage.blob.BlobStore;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.job.Job;
import dev.vct.storage.webhook.JobWebhook;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.OptimisticLockException;
import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * Creates jobs (inputs in the blob store, then the row, then the {@code vct.job.submitted} event)
 * and records cancel requests. The only job fields the gateway ever writes.
 */
@ApplicationScoped
public class TranslationService {
  private static final Logger LOG = Logger.getLogger(TranslationService.class);

  /** Seconds a client over its concurrent-job limit is told to wait. */
  private static final int CONCURRENCY_RETRY_AFTER_SECONDS = 10;

  /** A job, and whether it was created now or found by its Idempotency-Key. */
  public record Created(Job job, boolean replayed) {}

  private final BlobStore blobs;
  private final EntityManager em;
  private final JobPublisher publisher;
  private final GatewayConfig config;

  TranslationService(
      BlobStore blobs, EntityManager em, JobPublisher publisher, GatewayConfig config) {
    this.blobs = blobs;
    this.em = em;
    this.publisher = publisher;
    this.config = config;
  }

  public Created submit(UUID tenantId, Submission submission, String idempotencyKey) {
    String requestHash = idempotencyKey == null ? null : requestHash(submission);
    if (idempotencyKey != null) {
      Optional<Job> earlier =
          QuarkusTransaction.requiringNew()
              .call(() -> Job.findByIdempotencyKey(tenantId, idempotencyKey));
      if (earlier.isPresent()) {
        return new Created(replay(earlier.get(), requestHash, idempotencyKey), true);
      }
    }
    UUID jobId = UUID.randomUUID();
    String sourceKey = store(BlobKeys.source(jobId, ext(submission.source())), submission.source());
    String referenceKey =
        store(BlobKeys.reference(jobId, ext(submission.reference())), submission.reference());
    Created created;
    try {
      created =
          QuarkusTransaction.requiringNew()
              .call(
                  () ->
                      insert(
                          tenantId,
                          jobId,
                          submission,
                          idempotencyKey,
                          requestHash,
                          sourceKey,
                          referenceKey));
    } catch (RuntimeException e) {
      deleteQuietly(sourceKey);
      deleteQuietly(referenceKey);
      if (idempotencyKey != null && isUniqueViolation(e)) {
        // A concurrent request with the same key won the insert; answer as its replay.
        Job winner =
            QuarkusTransaction.requiringNew()
                .call(() -> Job.findByIdempotencyKey(tenantId, idempotencyKey))
                .orElseThrow(() -> e);
        return new Created(replay(winner, requestHash, idempotencyKey), true);
      }
      throw e;
    }
    if (created.replayed()) {
      deleteQuietly(sourceKey);
      deleteQuietly(referenceKey);
    } else {
      publisher.submitted(JobSubmitted.of(jobId, tenantId));
    }
    return created;
  }

  private Created insert(
      UUID tenantId,
      UUID jobId,
      Submission submission,
      String idempotencyKey,
      String requestHash,
      String sourceKey,
      String referenceKey) {
    // Serializes a tenant's submissions so the concurrency check and the insert are atomic.
    em.createNativeQuery("select id from tenants where id = ?1 for update")
        .setParameter(1, tenantId)
        .getSingleResult();
    if (idempotencyKey != null) {
      Optional<Job> earlier = Job.findByIdempotencyKey(tenantId, idempotencyKey);
      if (earlier.isPresent()) {
        return new Created(replay(earlier.get(), requestHash, idempotencyKey), true);
      }
    }
    long active = Job.countActive(tenantId);
    int limit =
        ((Number)
                em.createNativeQuery("select max_concurrent_jobs from tenants where id = ?1")
                    .setParameter(1, tenantId)
                    .getSingleResult())
            .intValue();
    if (active >= limit) {
      throw new ApiException(
          ErrorCode.CONCURRENT_JOB_LIMIT,
          "This tenant already has "
              + active
              + " queued or running translations, its limit; wait for one to finish",
          Map.of("Retry-After", Integer.toString(CONCURRENCY_RETRY_AFTER_SECONDS)));
    }
    KnobValues params = submission.params();
    long seed =
        params.has(Knob.SEED)
            ? params.longInteger(Knob.SEED)
            : ThreadLocalRandom.current().nextLong(Knob.MAX_SEED);
    Job job =
        Job.queued(
            jobId,
            tenantId,
            // a seed stays among the knobs only when the client chose it (Knob.SEED)
            new LinkedHashMap<>(params.withDefaults()),
            seed,
            config.modelId(),
            sourceKey,
            submission.source().sha256(),
            referenceKey,
            submission.reference().sha256());
    job.priority = params.integer(Knob.PRIORITY);
    job.idempotencyKey = idempotencyKey;
    job.requestHash = requestHash;
    job.persist();
    if (submission.webhook() != null) {
      JobWebhook.of(jobId, submission.webhook().url(), submission.webhook().events()).persist();
    }
    em.flush();
    return new Created(job, false);
  }

  private static Job replay(Job earlier, String requestHash, String idempotencyKey) {
    if (!earlier.requestHash.equals(requestHash)) {
      throw new ApiException(
          ErrorCode.IDEMPOTENCY_KEY_REUSED,
          "Idempotency-Key '"
              + idempotencyKey
              + "' was used for translation "
              + earlier.id
              + " with a different request; use a new key for a new request");
    }
    return earlier;
  }

  /**
   * Records a cancel request: the job's flag (read by the orchestrator's sweep) and a {@code
   * vct.job.cancel} event (for a prompt stop). Bumps the row's version, so an orchestrator holding
   * an older copy of the row retries rather than overwriting the flag.
   */
  public Job cancel(UUID tenantId, UUID jobId) {
    for (int attempt = 1; ; attempt++) {
      try {
        Job job =
            QuarkusTransaction.requiringNew()
                .call(
                    () -> {
                      Job found = findForTenant(tenantId, jobId);
                      if (found.status.terminal()) {
                        throw new ApiException(
                            ErrorCode.TRANSLATION_FINISHED,
                            "Translation " + jobId + " already ended as " + found.status.code());
                      }
                      if (!found.cancelRequested) {
                        found.cancelRequested = true;
                        em.lock(found, LockModeType.OPTIMISTIC_FORCE_INCREMENT);
                      }
                      return found;
                    });
        publisher.cancelRequested(CancelRequest.of(jobId, tenantId, "requested by the client"));
        return job;
      } catch (RuntimeException e) {
        if (attempt == 3 || !causedBy(e, OptimisticLockException.class)) {
          throw e;
        }
      }
    }
  }

  /** The tenant's job; another tenant's job is reported as not found, never as forbidden. */
  public static Job findForTenant(UUID tenantId, UUID jobId) {
    return Job.findForTenant(tenantId, jobId)
        .orElseThrow(
            () ->
                new ApiException(
                    ErrorCode.TRANSLATION_NOT_FOUND, "No translation has the id " + jobId));
  }

  /**
   * What makes two submissions "the same request": both images' hashes, the parameters with
   * defaults applied (a seed only when given) and the webhook, in a fixed order.
   */
  static String requestHash(Submission submission) {
    Map<String, Object> canonical = new LinkedHashMap<>();
    canonical.put("source_sha256", submission.source().sha256());
    canonical.put("reference_sha256", submission.reference().sha256());
    canonical.put("params", submission.params().withDefaults());
    canonical.put("webhook", submission.webhook());
    try {
      byte[] json = StrictJson.mapper().writeValueAsBytes(canonical);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot hash a validated request", e);
    }
  }

  private String store(String key, InspectedImage image) {
    blobs.put(
        key,
        new ByteArrayInputStream(image.bytes()),
        image.bytes().length,
        image.header().format().mediaType());
    return key;
  }

  private static String ext(InspectedImage image) {
    return image.header().format().extension();
  }

  private void deleteQuietly(String key) {
    try {
      blobs.delete(key);
    } catch (RuntimeException e) {
      LOG.warnf(e, "Could not delete the unused input blob %s", key);
    }
  }

  private static boolean isUniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
