package dev.vct.gateway.image;

/** A structural defect found while reading an image's headers; tells cut-off from malformed. */
final class StructureDefect extends Exception {
  private final boolean truncated;

  StructureDefect(boolean truncated, String problem) {
    super(problem, null, false, false);
    this.truncated = truncated;
  }

  boolean truncated() {
    return truncated;
  }
}
