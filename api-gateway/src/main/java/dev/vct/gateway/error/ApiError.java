package dev.vct.gateway.error;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The JSON body of every refusal: a stable machine code and a message for people. */
@Schema(name = "Error", description = "Every error response has this shape.")
public record ApiError(
    @Schema(description = "Stable code; see docs/api-errors.md", example = "invalid_parameter")
        String code,
    @Schema(description = "What is wrong and how to fix it") String message) {}
