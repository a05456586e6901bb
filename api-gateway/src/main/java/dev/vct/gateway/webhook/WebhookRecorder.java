package dev.vct.gateway.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vct.gateway.events.JobEventView;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.webhook.JobWebhook;
import dev.vct.storage.webhook.WebhookDelivery;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns each job event from {@code vct.job.events} into a pending delivery when the job has a
 * webhook that wants its type ({@link JobEventConsumer} reads the topic). Idempotent (one delivery
 * per event id), so a redelivered record adds nothing; committed before the record is acknowledged,
 * so none is lost.
 */
@ApplicationScoped
public class WebhookRecorder {
  private final ObjectMapper json;

  WebhookRecorder(ObjectMapper json) {
    this.json = json;
  }

  @Transactional
  public void record(JobEvent event) {
    JobWebhook webhook = JobWebhook.findById(event.jobId());
    String type = WebhookEventType.of(event).code();
    if (webhook == null
        || !webhook.wants(type)
        || WebhookDelivery.existsForEvent(event.eventId())) {
      return;
    }
    WebhookDelivery.pending(
            event.jobId(), event.tenantId(), event.eventId(), type, webhook.url, payload(event))
        .persist();
  }

  /** The Standard Webhooks payload shape: {@code {type, timestamp, data}}. */
  private String payload(JobEvent event) {
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("type", WebhookEventType.of(event).code());
    payload.put("timestamp", event.occurredAt().toString());
    payload.put("data", JobEventView.of(event));
    try {
      return json.writeValueAsString(payload);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode the webhook payload of " + event.eventId(), e);
    }
  }
}
