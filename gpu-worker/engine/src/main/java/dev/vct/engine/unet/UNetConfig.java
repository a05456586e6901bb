package dev.vct.engine.unet;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.engine.nn.DiffusersConfigs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A diffusers {@code UNet2DConditionModel} config.json, bound by its own keys. Missing keys take
 * diffusers' defaults (old configs omit many). Per-block settings may be given once or per down
 * block and are expanded here.
 *
 * <p>NB: for this model diffusers uses {@code attention_head_dim} as the NUMBER OF HEADS (the head
 * width is channels / heads), exactly as the SD-1.5 config ({@code attention_head_dim: 8}) does.
 */
public record UNetConfig(
    @JsonProperty("in_channels") Integer inChannels,
    @JsonProperty("out_channels") Integer outChannels,
    @JsonProperty("block_out_channels") List<Integer> blockOutChannels,
    @JsonProperty("down_block_types") List<String> downBlockTypes,
    @JsonProperty("mid_block_type") String midBlockType,
    @JsonProperty("up_block_types") List<String> upBlockTypes,
    @JsonProperty("layers_per_block") List<Integer> layersPerBlock,
    @JsonProperty("attention_head_dim") List<Integer> attentionHeadDim,
    @JsonProperty("cross_attention_dim") List<Integer> crossAttentionDim,
    @JsonProperty("transformer_layers_per_block") List<Integer> transformerLayersPerBlock,
    @JsonProperty("norm_num_groups") Integer normNumGroups,
    @JsonProperty("norm_eps") Double normEps,
    @JsonProperty("downsample_padding") Integer downsamplePadding,
    @JsonProperty("mid_block_scale_factor") Double midBlockScaleFactor,
    @JsonProperty("flip_sin_to_cos") Boolean flipSinToCos,
    @JsonProperty("freq_shift") Integer freqShift,
    @JsonProperty("use_linear_projection") Boolean useLinearProjection,
    @JsonProperty("center_input_sample") Boolean centerInputSample,
    @JsonProperty("conv_in_kernel") Integer convInKernel,
    @JsonProperty("conv_out_kernel") Integer convOutKernel) {

  public static final String CROSS_ATTN_DOWN = "CrossAttnDownBlock2D";
  public static final String DOWN = "DownBlock2D";
  public static final String CROSS_ATTN_UP = "CrossAttnUpBlock2D";
  public static final String UP = "UpBlock2D";
  public static final String MID_CROSS_ATTN = "UNetMidBlock2DCrossAttn";

  /**
   * Keys whose non-default values switch on architectures this engine does not build. {@code
   * upcast_attention} is absent on purpose: attention runs in float32 here, so upcasting changes
   * nothing; dropout is inactive at inference and must be 0 so training matches too.
   */
  private static final Map<String, Object> UNSUPPORTED_UNLESS = new LinkedHashMap<>();

  static {
    for (String key :
        List.of(
            "class_embed_type",
            "addition_embed_type",
            "num_class_embeds",
            "time_cond_proj_dim",
            "encoder_hid_dim",
            "encoder_hid_dim_type",
            "projection_class_embeddings_input_dim",
            "time_embedding_dim",
            "time_embedding_act_fn",
            "timestep_post_act",
            "num_attention_heads",
            "cross_attention_norm",
            "addition_time_embed_dim")) {
      UNSUPPORTED_UNLESS.put(key, null);
    }
    UNSUPPORTED_UNLESS.put("act_fn", "silu");
    UNSUPPORTED_UNLESS.put("time_embedding_type", "positional");
    UNSUPPORTED_UNLESS.put("resnet_time_scale_shift", "default");
    UNSUPPORTED_UNLESS.put("attention_type", "default");
    UNSUPPORTED_UNLESS.put("dual_cross_attention", false);
    UNSUPPORTED_UNLESS.put("only_cross_attention", false);
    UNSUPPORTED_UNLESS.put("resnet_skip_time_act", false);
    UNSUPPORTED_UNLESS.put("class_embeddings_concat", false);
    UNSUPPORTED_UNLESS.put("resnet_out_scale_factor", 1.0);
    UNSUPPORTED_UNLESS.put("dropout", 0.0);
  }

  public UNetConfig {
    inChannels = inChannels == null ? 4 : inChannels;
    outChannels = outChannels == null ? 4 : outChannels;
    blockOutChannels =
        blockOutChannels == null ? List.of(320, 640, 1280, 1280) : List.copyOf(blockOutChannels);
    downBlockTypes =
        downBlockTypes == null
            ? List.of(CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, DOWN)
            : List.copyOf(downBlockTypes);
    midBlockType = midBlockType == null ? MID_CROSS_ATTN : midBlockType;
    upBlockTypes =
        upBlockTypes == null
            ? List.of(UP, CROSS_ATTN_UP, CROSS_ATTN_UP, CROSS_ATTN_UP)
            : List.copyOf(upBlockTypes);
    int blocks = blockOutChannels.size();
    layersPerBlock =
        DiffusersConfigs.perBlock(
            layersPerBlock == null ? List.of(2) : layersPerBlock, blocks, "layers_per_block");
    attentionHeadDim =
        DiffusersConfigs.perBlock(
            attentionHeadDim == null ? List.of(8) : attentionHeadDim, blocks, "attention_head_dim");
    crossAttentionDim =
        DiffusersConfigs.perBlock(
            crossAttentionDim == null ? List.of(1280) : crossAttentionDim,
            blocks,
            "cross_attention_dim");
    transformerLayersPerBlock =
        DiffusersConfigs.perBlock(
            transformerLayersPerBlock == null ? List.of(1) : transformerLayersPerBlock,
            blocks,
            "transformer_layers_per_block");
    normNumGroups = normNumGroups == null ? 32 : normNumGroups;
    normEps = normEps == null ? 1e-5 : normEps;
    downsamplePadding = downsamplePadding == null ? 1 : downsamplePadding;
    midBlockScaleFactor = midBlockScaleFactor == null ? 1.0 : midBlockScaleFactor;
    flipSinToCos = flipSinToCos == null ? true : flipSinToCos;
    freqShift = freqShift == null ? 0 : freqShift;
    useLinearProjection = useLinearProjection == null ? false : useLinearProjection;
    centerInputSample = centerInputSample == null ? false : centerInputSample;
    convInKernel = convInKernel == null ? 3 : convInKernel;
    convOutKernel = convOutKernel == null ? 3 : convOutKernel;
    validate(
        inChannels,
        outChannels,
        blockOutChannels,
        downBlockTypes,
        midBlockType,
        upBlockTypes,
        layersPerBlock,
        attentionHeadDim,
        crossAttentionDim,
        transformerLayersPerBlock,
        normNumGroups,
        convInKernel,
        convOutKernel);
  }

  private static void validate(
      int in,
      int out,
      List<Integer> channels,
      List<String> down,
      String mid,
      List<String> up,
      List<Integer> layers,
      List<Integer> heads,
      List<Integer> crossDims,
      List<Integer> transformerLayers,
      int groups,
      int convInKernel,
      int convOutKernel) {
    List<String> problems = new ArrayList<>();
    int blocks = channels.size();
    if (blocks == 0) {
      problems.add("block_out_channels is empty");
    }
    if (in <= 0 || out <= 0) {
      problems.add("in_channels=" + in + " and out_channels=" + out + " must be positive");
    }
    if (down.size() != blocks || up.size() != blocks) {
      problems.add(
          "down_block_types "
              + down
              + " and up_block_types "
              + up
              + " must each have one entry per block_out_channels "
              + channels);
    }
    for (String type : down) {
      if (!type.equals(CROSS_ATTN_DOWN) && !type.equals(DOWN)) {
        problems.add(
            "down block type " + type + " (supported: " + CROSS_ATTN_DOWN + ", " + DOWN + ")");
      }
    }
    for (String type : up) {
      if (!type.equals(CROSS_ATTN_UP) && !type.equals(UP)) {
        problems.add("up block type " + type + " (supported: " + CROSS_ATTN_UP + ", " + UP + ")");
      }
    }
    if (!mid.equals(MID_CROSS_ATTN)) {
      problems.add("mid_block_type " + mid + " (supported: " + MID_CROSS_ATTN + ")");
    }
    for (int i = 0; i < blocks; i++) {
      int c = channels.get(i);
      if (c <= 0 || c % groups != 0) {
        problems.add(
            "block_out_channels["
                + i
                + "]="
                + c
                + " is not a positive multiple of norm_num_groups="
                + groups);
      }
      if (heads.get(i) <= 0 || c % heads.get(i) != 0) {
        problems.add(
            "block_out_channels["
                + i
                + "]="
                + c
                + " cannot be split into attention_head_dim="
                + heads.get(i)
                + " heads");
      }
      if (layers.get(i) <= 0 || crossDims.get(i) <= 0 || transformerLayers.get(i) <= 0) {
        problems.add(
            "block "
                + i
                + ": layers_per_block="
                + layers.get(i)
                + ", cross_attention_dim="
                + crossDims.get(i)
                + ", transformer_layers_per_block="
                + transformerLayers.get(i)
                + " must all be positive");
      }
    }
    if (!channels.isEmpty() && channels.get(0) % 2 != 0) {
      problems.add(
          "block_out_channels[0]=" + channels.get(0) + " must be even (sinusoidal time embedding)");
    }
    if (convInKernel % 2 == 0 || convOutKernel % 2 == 0) {
      problems.add(
          "conv_in_kernel="
              + convInKernel
              + " and conv_out_kernel="
              + convOutKernel
              + " must be odd");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid UNet config: " + String.join("; ", problems));
    }
  }

  /** Reads a diffusers UNet {@code config.json}. */
  public static UNetConfig read(Path configJson) {
    return fromJson(DiffusersConfigs.readTree(configJson));
  }

  /** Binds parsed config JSON, rejecting features this engine does not implement. */
  public static UNetConfig fromJson(JsonNode tree) {
    DiffusersConfigs.requireDefaults(tree, UNSUPPORTED_UNLESS, "UNet2DConditionModel");
    return DiffusersConfigs.bind(tree, UNetConfig.class);
  }

  public int blocks() {
    return blockOutChannels.size();
  }

  /** Width of the time embedding fed to every resnet: 4 x block_out_channels[0]. */
  public int timeEmbedDim() {
    return blockOutChannels.get(0) * 4;
  }
}
