package dev.vct.gateway.translation;

import dev.vct.gateway.image.InspectedImage;

/**
 * A validated submission, whichever form it came in.
 *
 * @param params the knobs as the client gave them (absent ones null)
 * @param webhook null when the client asked for none
 */
public record Submission(
    InspectedImage source,
    InspectedImage reference,
    TranslationParameters params,
    WebhookRequest webhook) {}
