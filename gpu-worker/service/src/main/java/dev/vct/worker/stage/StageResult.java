package dev.vct.worker.stage;

import dev.vct.storage.event.BlobRole;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a stage produced: the blobs it wrote, by role, and named numbers (for example {@code lpips},
 * {@code brisque}; inversions report their embedding's shape as {@code shape_0}, {@code shape_1},
 * ..., which the orchestrator records in the embeddings catalogue).
 */
public record StageResult(Map<BlobRole, String> outputs, Map<String, Double> metrics) {
  public StageResult {
    outputs = Map.copyOf(outputs);
    metrics = Map.copyOf(metrics);
  }

  /** The metrics {@code shape_0, shape_1, ...} of an embedding of {@code shape}. */
  public static Map<String, Double> shapeMetrics(long... shape) {
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (int i = 0; i < shape.length; i++) {
      metrics.put("shape_" + i, (double) shape[i]);
    }
    return metrics;
  }
}
