package dev.vct.gateway.tenant;

import dev.vct.gateway.error.ApiException;
import dev.vct.gateway.error.ErrorCode;
import dev.vct.storage.tenant.Tenant;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;

/**
 * Per-tenant request rate in fixed one-minute windows, counted in the database so every gateway
 * replica shares the count. Over the limit: 429 with {@code Retry-After} set to the seconds left in
 * the window.
 */
@ApplicationScoped
public class RateLimiter {
  private final EntityManager em;

  RateLimiter(EntityManager em) {
    this.em = em;
  }

  @Transactional(Transactional.TxType.MANDATORY)
  void count(UUID tenantId) {
    Instant now = Instant.now();
    Instant window = now.truncatedTo(ChronoUnit.MINUTES);
    int requests =
        ((Number)
                em.createNativeQuery(
                        "insert into tenant_request_windows (tenant_id, window_start, requests)"
                            + " values (?1, ?2, 1) on conflict (tenant_id, window_start)"
                            + " do update set requests = tenant_request_windows.requests + 1"
                            + " returning requests")
                    .setParameter(1, tenantId)
                    .setParameter(2, window)
                    .getSingleResult())
            .intValue();
    Tenant tenant = Tenant.findById(tenantId);
    if (requests > tenant.requestsPerMinute) {
      long retryAfter = Math.max(1, 60 - (now.getEpochSecond() - window.getEpochSecond()));
      throw new ApiException(
          ErrorCode.RATE_LIMITED,
          "More than "
              + tenant.requestsPerMinute
              + " requests this minute for this tenant; retry after "
              + retryAfter
              + " s",
          Map.of("Retry-After", Long.toString(retryAfter)));
    }
  }

  /** Windows older than the current one only take room. */
  @Scheduled(every = "5m", delayed = "1m", skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  @Transactional
  void forgetOldWindows() {
    em.createNativeQuery("delete from tenant_request_windows where window_start < ?1")
        .setParameter(1, Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(1, ChronoUnit.MINUTES))
        .executeUpdate();
  }
}
