package dev.vct.gateway.image;

/** An image that passed every check: its bytes as uploaded, what its header says, its hash. */
public record InspectedImage(ImageHeader header, byte[] bytes, String sha256) {}
