package dev.vct.gateway.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.vct.gateway.translation.TranslationResource;
import dev.vct.gateway.webhook.WebhookEventType;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.job.Scores;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A job event as clients see it, on the SSE stream and in webhook payloads. Fields that do not
 * apply to the event's type are left out.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "JobEvent")
public record JobEventView(
    @Schema(description = "job.status-changed, job.stage-changed, job.progress, job.completed")
        String type,
    UUID eventId,
    UUID jobId,
    Instant occurredAt,
    @Schema(description = "Previous job status (job.status-changed)") String from,
    @Schema(description = "New job status (job.status-changed)") String to,
    @Schema(description = "The stage (job.stage-changed, job.progress)") String stage,
    @Schema(description = "Stage status (job.stage-changed) or final job status (job.completed)")
        String status,
    Integer attempt,
    Integer step,
    Integer totalSteps,
    Double loss,
    @Schema(description = "The whole job's progress, 0 to 1 (job.progress)") Double fraction,
    Scores scores,
    String resultUrl,
    ErrorDetail error) {

  /** A failed job's error. */
  public record ErrorDetail(String code, String message) {}

  public static JobEventView of(JobEvent event) {
    String type = WebhookEventType.of(event).code();
    if (event instanceof JobEvent.StatusChanged e) {
      return new JobEventView(
          type,
          e.eventId(),
          e.jobId(),
          e.occurredAt(),
          e.from().code(),
          e.to().code(),
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null);
    }
    if (event instanceof JobEvent.StageChanged e) {
      return new JobEventView(
          type,
          e.eventId(),
          e.jobId(),
          e.occurredAt(),
          null,
          null,
          e.stage().code(),
          e.status().code(),
          e.attempt(),
          null,
          null,
          null,
          null,
          null,
          null,
          null);
    }
    if (event instanceof JobEvent.Progress e) {
      return new JobEventView(
          type,
          e.eventId(),
          e.jobId(),
          e.occurredAt(),
          null,
          null,
          e.stage().code(),
          null,
          null,
          e.step(),
          e.totalSteps(),
          e.loss(),
          e.fraction(),
          null,
          null,
          null);
    }
    JobEvent.Completed e = (JobEvent.Completed) event;
    return new JobEventView(
        type,
        e.eventId(),
        e.jobId(),
        e.occurredAt(),
        null,
        null,
        null,
        e.status().code(),
        null,
        null,
        null,
        null,
        null,
        e.scores(),
        e.resultKey() == null ? null : TranslationResource.PATH + "/" + e.jobId() + "/result",
        e.errorCode() == null ? null : new ErrorDetail(e.errorCode(), e.errorMessage()));
  }

  public boolean isFinal() {
    return WebhookEventType.COMPLETED.code().equals(type);
  }
}
