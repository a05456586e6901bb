package dev.vct.engine.vae;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.engine.nn.DiffusersConfigs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A diffusers {@code AutoencoderKL} config.json, bound by its own keys; missing keys take
 * diffusers' defaults. {@code scaling_factor} is carried for the pipeline (latents are multiplied
 * by it outside the VAE); the VAE itself never applies it.
 */
public record VaeConfig(
    @JsonProperty("in_channels") Integer inChannels,
    @JsonProperty("out_channels") Integer outChannels,
    @JsonProperty("down_block_types") List<String> downBlockTypes,
    @JsonProperty("up_block_types") List<String> upBlockTypes,
    @JsonProperty("block_out_channels") List<Integer> blockOutChannels,
    @JsonProperty("layers_per_block") Integer layersPerBlock,
    @JsonProperty("latent_channels") Integer latentChannels,
    @JsonProperty("norm_num_groups") Integer normNumGroups,
    @JsonProperty("scaling_factor") Double scalingFactor) {

  public static final String DOWN = "DownEncoderBlock2D";
  public static final String UP = "UpDecoderBlock2D";

  private static final Map<String, Object> UNSUPPORTED_UNLESS =
      Map.of(
          "act_fn", "silu",
          "mid_block_add_attention", true,
          "use_quant_conv", true,
          "use_post_quant_conv", true);

  public VaeConfig {
    inChannels = inChannels == null ? 3 : inChannels;
    outChannels = outChannels == null ? 3 : outChannels;
    blockOutChannels = blockOutChannels == null ? List.of(64) : List.copyOf(blockOutChannels);
    downBlockTypes =
        downBlockTypes == null
            ? Collections.nCopies(blockOutChannels.size(), DOWN)
            : List.copyOf(downBlockTypes);
    upBlockTypes =
        upBlockTypes == null
            ? Collections.nCopies(blockOutChannels.size(), UP)
            : List.copyOf(upBlockTypes);
    layersPerBlock = layersPerBlock == null ? 1 : layersPerBlock;
    latentChannels = latentChannels == null ? 4 : latentChannels;
    normNumGroups = normNumGroups == null ? 32 : normNumGroups;
    scalingFactor = scalingFactor == null ? 0.18215 : scalingFactor;

    List<String> problems = new ArrayList<>();
    int blocks = blockOutChannels.size();
    if (blocks == 0) {
      problems.add("block_out_channels is empty");
    }
    if (downBlockTypes.size() != blocks || upBlockTypes.size() != blocks) {
      problems.add(
          "down_block_types "
              + downBlockTypes
              + " and up_block_types "
              + upBlockTypes
              + " must each have one entry per block_out_channels "
              + blockOutChannels);
    }
    downBlockTypes.stream()
        .filter(t -> !t.equals(DOWN))
        .forEach(t -> problems.add("down block type " + t + " (supported: " + DOWN + ")"));
    upBlockTypes.stream()
        .filter(t -> !t.equals(UP))
        .forEach(t -> problems.add("up block type " + t + " (supported: " + UP + ")"));
    for (int i = 0; i < blocks; i++) {
      int c = blockOutChannels.get(i);
      if (c <= 0 || c % normNumGroups != 0) {
        problems.add(
            "block_out_channels["
                + i
                + "]="
                + c
                + " is not a positive multiple of norm_num_groups="
                + normNumGroups);
      }
    }
    if (inChannels <= 0 || outChannels <= 0 || latentChannels <= 0 || layersPerBlock <= 0) {
      problems.add(
          "in_channels="
              + inChannels
              + ", out_channels="
              + outChannels
              + ", latent_channels="
              + latentChannels
              + ", layers_per_block="
              + layersPerBlock
              + " must all be positive");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid AutoencoderKL config: " + String.join("; ", problems));
    }
  }

  /** Reads a diffusers VAE {@code config.json}. */
  public static VaeConfig read(Path configJson) {
    return fromJson(DiffusersConfigs.readTree(configJson));
  }

  /** Binds parsed config JSON, rejecting features this engine does not implement. */
  public static VaeConfig fromJson(JsonNode tree) {
    DiffusersConfigs.requireDefaults(tree, UNSUPPORTED_UNLESS, "AutoencoderKL");
    return DiffusersConfigs.bind(tree, VaeConfig.class);
  }

  public int blocks() {
    return blockOutChannels.size();
  }
}
