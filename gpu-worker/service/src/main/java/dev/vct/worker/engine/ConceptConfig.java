package dev.vct.worker.engine;

import io.smallrye.config.ConfigMapping;
import java.util.OptionalInt;

/** How the worker runs concept inversion; environment variable VCT_CONCEPT_BATCH. */
@ConfigMapping(prefix = "vct.concept")
public interface ConceptConfig {
  /**
   * Micro-steps per UNet pass of concept inversion, at most the job's accumulation (4 by default).
   * Unset: {@code ConceptInversionParams.defaultBatch()}, by the job's resolution (the whole
   * accumulation window in one pass, the fastest, up to 256 px; 1 at 512 px). A smaller batch
   * bounds the memory of a pass (a forward with its backward keeps activations in proportion to the
   * batch) and gives the same result within float rounding; resume is bit-identical at the same
   * batch.
   */
  OptionalInt batch();
}
