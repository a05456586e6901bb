package dev.vct.worker.stage;

import dev.vct.storage.blob.BlobKeys;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A saved stage state: the number of completed steps and the blob that holds the state. */
public record Checkpoint(int step, String blobKey) {
  private static final Pattern STEP = Pattern.compile("/(\\d{12})\\.safetensors$");

  public Checkpoint {
    if (step < 0) {
      throw new IllegalArgumentException("checkpoint step must be >= 0, got " + step);
    }
    BlobKeys.validate(blobKey);
  }

  /** The checkpoint of {@code stageRun} after {@code step} steps, at its standard key. */
  public static Checkpoint of(UUID stageRun, int step) {
    return new Checkpoint(step, BlobKeys.checkpoint(stageRun, step));
  }

  /** Reads the step back from a key made by {@link BlobKeys#checkpoint}; empty for other keys. */
  public static Optional<Checkpoint> fromKey(String blobKey) {
    if (blobKey == null) {
      return Optional.empty();
    }
    Matcher m = STEP.matcher(blobKey);
    return m.find()
        ? Optional.of(new Checkpoint(Integer.parseInt(m.group(1)), blobKey))
        : Optional.empty();
  }
}
