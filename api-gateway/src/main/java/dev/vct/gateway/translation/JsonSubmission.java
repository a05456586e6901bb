package dev.vct.gateway.translation;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import jakarta.validation.Valid;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The JSON form of a submission: both images as base64 (or data: URLs). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@Schema(name = "TranslationRequest")
public record JsonSubmission(
    @Schema(
            description = "The source image (content to keep), base64 or a data: URL",
            required = true)
        String source,
    @Schema(
            description = "The reference image (concept to take), base64 or a data: URL",
            required = true)
        String reference,
    @Schema(ref = TranslationParametersSchema.NAME) Map<String, Object> params,
    @Valid WebhookRequest webhook) {}
