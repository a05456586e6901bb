package dev.vct.worker.stage;

/** A saved stage state: the number of completed steps and the blob that holds the state. */
public record Checkpoint(long step, String blobKey) {
  public Checkpoint {
    if (step < 0) {
      throw new IllegalArgumentException("checkpoint step must be >= 0, got " + step);
    }
    if (blobKey == null || blobKey.isBlank()) {
      throw new IllegalArgumentException("checkpoint blob key must not be blank");
    }
  }
}
