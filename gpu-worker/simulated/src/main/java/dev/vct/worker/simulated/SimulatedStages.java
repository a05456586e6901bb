package dev.vct.worker.simulated;

import dev.vct.storage.job.Stage;
import dev.vct.worker.stage.StageResult;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/** One simulated executor per stage. */
final class SimulatedStages {
  private SimulatedStages() {}

  @ApplicationScoped
  static class ContentInversion extends SimulatedStage {
    @Override
    public Stage stage() {
      return Stage.CONTENT_INVERSION;
    }

    @Override
    Map<String, Double> metrics(long state) {
      return StageResult.shapeMetrics(50, 77, 768);
    }
  }

  @ApplicationScoped
  static class ConceptInversion extends SimulatedStage {
    @Override
    public Stage stage() {
      return Stage.CONCEPT_INVERSION;
    }

    @Override
    Map<String, Double> metrics(long state) {
      return StageResult.shapeMetrics(3, 768);
    }
  }

  @ApplicationScoped
  static class Fusion extends SimulatedStage {
    @Override
    public Stage stage() {
      return Stage.FUSION;
    }

    @Override
    Map<String, Double> metrics(long state) {
      return Map.of();
    }
  }

  @ApplicationScoped
  static class Scoring extends SimulatedStage {
    @Override
    public Stage stage() {
      return Stage.SCORING;
    }

    @Override
    Map<String, Double> metrics(long state) {
      return Map.of("lpips", (state & 0xFFFF) / 65536.0, "brisque", (state >>> 48) / 1000.0);
    }
  }
}
