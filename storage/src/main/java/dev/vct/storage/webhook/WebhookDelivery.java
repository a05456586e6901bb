package dev.vct.storage.webhook;

import dev.vct.storage.persistence.Clock;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One job event to post to one webhook. Created once per event (unique {@link #eventId}), so a
 * redelivered Kafka event adds nothing; {@link #id} is the {@code webhook-id} of every attempt.
 */
@Entity
@Table(name = "webhook_deliveries")
public class WebhookDelivery extends PanacheEntityBase {
  @Id public UUID id;

  @Column(name = "job_id", nullable = false)
  public UUID jobId;

  @Column(name = "tenant_id", nullable = false)
  public UUID tenantId;

  @Column(name = "event_id", nullable = false)
  public UUID eventId;

  @Column(name = "event_type", nullable = false)
  public String eventType;

  @Column(nullable = false)
  public String url;

  /** The exact body posted, identical on every attempt. */
  @Column(nullable = false)
  public String payload;

  @Convert(converter = DeliveryStatus.Converter.class)
  @Column(nullable = false)
  public DeliveryStatus status;

  @Column(nullable = false)
  public int attempts;

  @Column(name = "next_attempt_at")
  public Instant nextAttemptAt;

  @Column(name = "last_status_code")
  public Integer lastStatusCode;

  @Column(name = "last_error")
  public String lastError;

  @Column(name = "created_at", nullable = false)
  public Instant createdAt;

  @Column(name = "finished_at")
  public Instant finishedAt;

  public static WebhookDelivery pending(
      UUID jobId, UUID tenantId, UUID eventId, String eventType, String url, String payload) {
    WebhookDelivery delivery = new WebhookDelivery();
    delivery.id = UUID.randomUUID();
    delivery.jobId = jobId;
    delivery.tenantId = tenantId;
    delivery.eventId = eventId;
    delivery.eventType = eventType;
    delivery.url = url;
    delivery.payload = payload;
    delivery.status = DeliveryStatus.PENDING;
    delivery.createdAt = Clock.now();
    delivery.nextAttemptAt = delivery.createdAt;
    return delivery;
  }

  public static boolean existsForEvent(UUID eventId) {
    return count("eventId", eventId) > 0;
  }

  public static List<WebhookDelivery> forJob(UUID jobId) {
    return list("jobId = ?1 order by createdAt", jobId);
  }
}
