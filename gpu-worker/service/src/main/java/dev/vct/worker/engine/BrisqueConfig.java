package dev.vct.worker.engine;

import io.smallrye.config.ConfigMapping;
import java.nio.file.Path;
import java.util.Optional;

/** The scoring stage's BRISQUE model: {@code vct.brisque.model}, {@code vct.brisque.range}. */
@ConfigMapping(prefix = "vct.brisque")
public interface BrisqueConfig {
  /** brisque_model_live.yml from opencv_contrib (VCT_BRISQUE_MODEL). */
  Optional<Path> model();

  /** brisque_range_live.yml from opencv_contrib (VCT_BRISQUE_RANGE). */
  Optional<Path> range();
}
