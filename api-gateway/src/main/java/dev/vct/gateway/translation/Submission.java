package dev.vct.gateway.translation;

import dev.vct.gateway.image.InspectedImage;
import dev.vct.inputs.KnobValues;

/**
 * A validated submission, whichever form it came in.
 *
 * @param params the knobs the client gave, checked against the knob table
 * @param webhook null when the client asked for none
 */
public record Submission(
    InspectedImage source, InspectedImage reference, KnobValues params, WebhookRequest webhook) {}
