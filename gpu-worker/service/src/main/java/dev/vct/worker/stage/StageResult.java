package dev.vct.worker.stage;

import java.util.Map;

/**
 * What a stage produced: named blob keys (for example {@code embedding}, {@code image}) and named
 * numbers (for example {@code lpips}, {@code brisque}).
 */
public record StageResult(Map<String, String> outputs, Map<String, Double> metrics) {
  public StageResult {
    outputs = Map.copyOf(outputs);
    metrics = Map.copyOf(metrics);
  }

  public static StageResult ofOutputs(Map<String, String> outputs) {
    return new StageResult(outputs, Map.of());
  }
}
