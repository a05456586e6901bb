package dev.vct.storage.webhook;

import dev.vct.storage.persistence.Clock;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** The webhook a client gave with a job: its URL and the event types it wants. */
@Entity
@Table(name = "job_webhooks")
public class JobWebhook extends PanacheEntityBase {
  @Id
  @Column(name = "job_id")
  public UUID jobId;

  @Column(nullable = false)
  public String url;

  /** Public event type names, for example {@code job.completed}. */
  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(name = "event_types", nullable = false, columnDefinition = "text[]")
  public List<String> eventTypes;

  @Column(name = "created_at", nullable = false)
  public Instant createdAt;

  public static JobWebhook of(UUID jobId, String url, List<String> eventTypes) {
    if (eventTypes.isEmpty()) {
      throw new IllegalArgumentException("a webhook needs at least one event type");
    }
    JobWebhook webhook = new JobWebhook();
    webhook.jobId = jobId;
    webhook.url = url;
    webhook.eventTypes = List.copyOf(eventTypes);
    webhook.createdAt = Clock.now();
    return webhook;
  }

  public boolean wants(String eventType) {
    return eventTypes.contains(eventType);
  }
}
