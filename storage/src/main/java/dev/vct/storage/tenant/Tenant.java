package dev.vct.storage.tenant;

import dev.vct.storage.persistence.Clock;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A customer of the service, with the limits its API keys share. */
@Entity
@Table(name = "tenants")
public class Tenant extends PanacheEntityBase {

  @Id public UUID id;

  @Column(nullable = false)
  public String name;

  @Column(name = "max_concurrent_jobs", nullable = false)
  public int maxConcurrentJobs;

  @Column(name = "requests_per_minute", nullable = false)
  public int requestsPerMinute;

  @Column(name = "created_at", nullable = false, updatable = false)
  public Instant createdAt;

  /** A new, not yet persisted tenant with a fresh id. */
  public static Tenant create(String name, int maxConcurrentJobs, int requestsPerMinute) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("tenant name must not be blank");
    }
    if (maxConcurrentJobs <= 0 || requestsPerMinute <= 0) {
      throw new IllegalArgumentException(
          "tenant limits must be positive, got maxConcurrentJobs="
              + maxConcurrentJobs
              + " requestsPerMinute="
              + requestsPerMinute);
    }
    Tenant tenant = new Tenant();
    tenant.id = UUID.randomUUID();
    tenant.name = name;
    tenant.maxConcurrentJobs = maxConcurrentJobs;
    tenant.requestsPerMinute = requestsPerMinute;
    tenant.createdAt = Clock.now();
    return tenant;
  }

  public static Optional<Tenant> findByName(String name) {
    return find("name", name).firstResultOptional();
  }
}
