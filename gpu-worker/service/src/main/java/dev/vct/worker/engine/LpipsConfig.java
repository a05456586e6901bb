package dev.vct.worker.engine;

import io.smallrye.config.ConfigMapping;
import java.nio.file.Path;
import java.util.Optional;

/** The scoring stage's LPIPS weights: {@code vct.lpips.weights} (VCT_LPIPS_WEIGHTS). */
@ConfigMapping(prefix = "vct.lpips")
public interface LpipsConfig {
  /** AlexNet LPIPS weights as safetensors (README, section Scoring). */
  Optional<Path> weights();
}
