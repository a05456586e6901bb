package dev.vct.worker.engine;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The Stable Diffusion 1.x checkpoint of the VCT stages (content inversion, concept inversion,
 * fusion); environment variables VCT_MODEL_PATH and VCT_MODEL_ID.
 */
@ConfigMapping(prefix = "vct.model")
public interface ModelConfig {
  /**
   * The checkpoint in the diffusers folder layout (unet/, vae/, text_encoder/, tokenizer/,
   * scheduler/). {@code ./vct init-tiny DIR} writes a tiny one with random weights for trials.
   */
  Optional<Path> path();

  /**
   * The name jobs use for this checkpoint (the gateway's vct.gateway.model-id); a request for
   * another model is refused, and embeddings are catalogued under this name.
   */
  @WithDefault("sd15")
  String id();
}
