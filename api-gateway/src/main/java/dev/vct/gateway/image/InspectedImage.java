package dev.vct.gateway.image;

import dev.vct.inputs.image.ImageHeader;

/**
 * An image that passed every check: its bytes as uploaded, what its header says, its hash (decoding
 * it succeeded).
 */
public record InspectedImage(ImageHeader header, byte[] bytes, String sha256) {}
