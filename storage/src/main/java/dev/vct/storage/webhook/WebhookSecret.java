package dev.vct.storage.webhook;

import dev.vct.storage.persistence.Clock;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * A tenant's webhook signing secret (Standard Webhooks: {@code whsec_} and the base64 of the
 * HMAC-SHA256 key). Kept in clear: signing needs it.
 */
@Entity
@Table(name = "tenant_webhook_secrets")
public class WebhookSecret extends PanacheEntityBase {
  public static final String PREFIX = "whsec_";
  private static final SecureRandom RANDOM = new SecureRandom();

  @Id
  @Column(name = "tenant_id")
  public UUID tenantId;

  @Column(nullable = false)
  public String secret;

  @Column(name = "created_at", nullable = false)
  public Instant createdAt;

  /** A new, not yet persisted random secret for {@code tenantId}. */
  public static WebhookSecret generate(UUID tenantId) {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    WebhookSecret secret = new WebhookSecret();
    secret.tenantId = tenantId;
    secret.secret = PREFIX + Base64.getEncoder().encodeToString(key);
    secret.createdAt = Clock.now();
    return secret;
  }

  /** The HMAC key: the base64 part of the secret, decoded. */
  public byte[] key() {
    return Base64.getDecoder().decode(secret.substring(PREFIX.length()));
  }
}
