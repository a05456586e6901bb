package dev.vct.worker.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/** Engine model settings for the executors' tests, and the oracle fixtures they read. */
final class EngineFixtures {
  private EngineFixtures() {}

  /** The oracle fixture folder {@code name}, or a skipped test naming where it was looked for. */
  static Path fixture(String name) {
    String root = System.getProperty("vct.fixtures.dir", "");
    Path dir = Path.of(root.isEmpty() ? "absent-vct.fixtures.dir" : root).resolve(name);
    Assumptions.assumeTrue(
        Files.isDirectory(dir), "oracle fixtures not found at " + dir.toAbsolutePath());
    return dir;
  }

  /** Models configured as by vct.model.*, vct.lpips.weights and vct.brisque.*; null: unset. */
  static EngineModels models(
      Path modelDir, String modelId, Path lpipsWeights, Path brisqueModel, Path brisqueRange) {
    EngineModels models = new EngineModels();
    models.model =
        new ModelConfig() {
          @Override
          public Optional<Path> path() {
            return Optional.ofNullable(modelDir);
          }

          @Override
          public String id() {
            return modelId;
          }
        };
    models.lpips = () -> Optional.ofNullable(lpipsWeights);
    models.brisque =
        new BrisqueConfig() {
          @Override
          public Optional<Path> model() {
            return Optional.ofNullable(brisqueModel);
          }

          @Override
          public Optional<Path> range() {
            return Optional.ofNullable(brisqueRange);
          }
        };
    return models;
  }
}
