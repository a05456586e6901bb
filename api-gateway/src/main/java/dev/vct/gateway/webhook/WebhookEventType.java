package dev.vct.gateway.webhook;

import dev.vct.storage.event.JobEvent;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The public names of a job's events, the same on the SSE stream ({@code event:}) and in webhook
 * filters and payloads ({@code type}).
 */
public enum WebhookEventType {
  STATUS_CHANGED("job.status-changed"),
  STAGE_CHANGED("job.stage-changed"),
  PROGRESS("job.progress"),
  COMPLETED("job.completed");

  private final String code;

  WebhookEventType(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }

  public static WebhookEventType of(JobEvent event) {
    if (event instanceof JobEvent.StatusChanged) {
      return STATUS_CHANGED;
    }
    if (event instanceof JobEvent.StageChanged) {
      return STAGE_CHANGED;
    }
    if (event instanceof JobEvent.Progress) {
      return PROGRESS;
    }
    if (event instanceof JobEvent.Completed) {
      return COMPLETED;
    }
    throw new IllegalArgumentException("not a job event type: " + event.getClass().getName());
  }

  public static Optional<WebhookEventType> fromCode(String code) {
    return Arrays.stream(values()).filter(t -> t.code.equals(code)).findFirst();
  }

  public static String allCodes() {
    return Arrays.stream(values()).map(WebhookEventType::code).collect(Collectors.joining(", "));
  }
}
