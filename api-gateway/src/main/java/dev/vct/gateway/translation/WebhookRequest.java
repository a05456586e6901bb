package dev.vct.gateway.translation;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Where to post a job's events, and which ones. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@Schema(name = "Webhook")
public record WebhookRequest(
    @Schema(
            description = "An http or https URL; private and loopback addresses are refused",
            example = "https://example.com/hooks/vct")
        @NotBlank
        @Size(max = 2048)
        String url,
    @Schema(
            description =
                "Event types to deliver: job.status-changed, job.stage-changed, job.progress,"
                    + " job.completed",
            defaultValue = "[\"job.completed\"]")
        @Size(min = 1, max = 4)
        List<String> events) {}
