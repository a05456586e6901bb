package dev.vct.storage.tenant;

import dev.vct.storage.blob.Sha256;
import dev.vct.storage.persistence.Clock;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * An API key of a tenant. Only the SHA-256 of the key is stored: a leaked table does not leak keys.
 * The prefix (the key's first characters) lets people tell keys apart in listings.
 */
@Entity
@Table(name = "api_keys")
public class ApiKey extends PanacheEntityBase {

  /** How many leading characters of a key are kept for display. */
  public static final int PREFIX_LENGTH = 8;

  @Id public UUID id;

  @Column(name = "tenant_id", nullable = false, updatable = false)
  public UUID tenantId;

  /** Lower-case hex SHA-256 of the UTF-8 bytes of the key. */
  @Column(name = "key_hash", nullable = false, updatable = false)
  public String keyHash;

  @Column(nullable = false, updatable = false)
  public String prefix;

  @Column(nullable = false)
  public boolean admin;

  @Column(name = "created_at", nullable = false, updatable = false)
  public Instant createdAt;

  @Column(name = "revoked_at")
  public Instant revokedAt;

  /** A new, not yet persisted record of {@code rawKey}; the raw key itself is not kept. */
  public static ApiKey of(UUID tenantId, String rawKey, boolean admin) {
    if (rawKey == null || rawKey.length() < 2 * PREFIX_LENGTH) {
      throw new IllegalArgumentException(
          "an API key must have at least " + 2 * PREFIX_LENGTH + " characters");
    }
    ApiKey key = new ApiKey();
    key.id = UUID.randomUUID();
    key.tenantId = tenantId;
    key.keyHash = hash(rawKey);
    key.prefix = rawKey.substring(0, PREFIX_LENGTH);
    key.admin = admin;
    key.createdAt = Clock.now();
    return key;
  }

  /** The stored form of a raw key: lower-case hex SHA-256 of its UTF-8 bytes. */
  public static String hash(String rawKey) {
    return Sha256.hex(rawKey.getBytes(StandardCharsets.UTF_8));
  }

  /** The unrevoked key whose hash matches {@code rawKey}, if any. */
  public static Optional<ApiKey> findActive(String rawKey) {
    return find("keyHash = ?1 and revokedAt is null", hash(rawKey)).firstResultOptional();
  }

  public static List<ApiKey> listForTenant(UUID tenantId) {
    return list("tenantId = ?1 order by createdAt", tenantId);
  }

  public boolean revoked() {
    return revokedAt != null;
  }
}
