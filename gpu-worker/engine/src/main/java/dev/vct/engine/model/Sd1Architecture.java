package dev.vct.engine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.List;

/**
 * The widths of a Stable Diffusion 1.x pipeline (the topology is fixed: 4 UNet levels with
 * cross-attention in the first three, a 4-level VAE, a CLIP text encoder), and the diffusers /
 * transformers config.json files and checkpoint layouts they imply.
 *
 * @param unetChannels UNet block_out_channels
 * @param unetHeads attention heads per UNet transformer (diffusers' attention_head_dim)
 * @param vaeChannels VAE block_out_channels
 * @param normGroups GroupNorm groups of both UNet and VAE
 * @param layersPerBlock resnets per down level (UNet and VAE)
 * @param textHidden CLIP hidden width = UNet cross_attention_dim
 * @param textLayers CLIP encoder layers
 * @param textHeads CLIP attention heads
 * @param textIntermediate CLIP MLP width
 * @param vocabSize CLIP vocabulary size
 * @param sampleSize UNet sample_size (latent side)
 */
public record Sd1Architecture(
    List<Integer> unetChannels,
    int unetHeads,
    List<Integer> vaeChannels,
    int normGroups,
    int layersPerBlock,
    int textHidden,
    int textLayers,
    int textHeads,
    int textIntermediate,
    int vocabSize,
    int sampleSize) {

  /** The toy widths of {@code init-tiny}: same topology as SD 1.x, a few MB of weights. */
  public static final Sd1Architecture TINY =
      new Sd1Architecture(
          List.of(16, 16, 32, 32), 8, List.of(16, 16, 32, 32), 8, 2, 32, 3, 4, 64, 1000, 8);

  /** Stable Diffusion 1.5 itself (runwayml/stable-diffusion-v1-5 configs). */
  public static final Sd1Architecture SD15 =
      new Sd1Architecture(
          List.of(320, 640, 1280, 1280),
          8,
          List.of(128, 256, 512, 512),
          32,
          2,
          768,
          12,
          12,
          3072,
          49408,
          64);

  public static final int LATENT_CHANNELS = 4;
  public static final int MAX_POSITIONS = 77;
  static final String DIFFUSERS_VERSION = "0.21.4";
  private static final ObjectMapper JSON = new ObjectMapper();

  public Sd1Architecture {
    unetChannels = List.copyOf(unetChannels);
    vaeChannels = List.copyOf(vaeChannels);
    if (unetChannels.size() != 4 || vaeChannels.size() != 4) {
      throw new IllegalArgumentException(
          "SD 1.x has 4 UNet and 4 VAE levels, got " + unetChannels + " and " + vaeChannels);
    }
    for (int c : unetChannels) {
      if (c % normGroups != 0 || c % unetHeads != 0) {
        throw new IllegalArgumentException(
            "UNet channels "
                + c
                + " not divisible by groups "
                + normGroups
                + " and heads "
                + unetHeads);
      }
    }
    if (textHidden % textHeads != 0) {
      throw new IllegalArgumentException(
          "text hidden " + textHidden + " not divisible by heads " + textHeads);
    }
  }

  public CheckpointLayout unetLayout() {
    return CheckpointLayout.unet(
        LATENT_CHANNELS, LATENT_CHANNELS, unetChannels, layersPerBlock, textHidden);
  }

  /** VAE keys in diffusers' current naming ({@code to_q/to_k/to_v/to_out.0}). */
  public CheckpointLayout vaeLayout() {
    return CheckpointLayout.vae(3, 3, LATENT_CHANNELS, vaeChannels, layersPerBlock, false);
  }

  public CheckpointLayout textEncoderLayout() {
    return CheckpointLayout.clipText(
        vocabSize, textHidden, textIntermediate, textLayers, MAX_POSITIONS);
  }

  /** {@code unet/config.json}. */
  public ObjectNode unetConfig() {
    ObjectNode n = JSON.createObjectNode();
    n.put("_class_name", "UNet2DConditionModel");
    n.put("_diffusers_version", DIFFUSERS_VERSION);
    n.put("act_fn", "silu");
    n.put("attention_head_dim", unetHeads);
    ints(n.putArray("block_out_channels"), unetChannels);
    n.put("center_input_sample", false);
    n.put("cross_attention_dim", textHidden);
    strings(
        n.putArray("down_block_types"),
        List.of(
            "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"));
    n.put("downsample_padding", 1);
    n.put("flip_sin_to_cos", true);
    n.put("freq_shift", 0);
    n.put("in_channels", LATENT_CHANNELS);
    n.put("layers_per_block", layersPerBlock);
    n.put("mid_block_scale_factor", 1);
    n.put("norm_eps", 1e-05);
    n.put("norm_num_groups", normGroups);
    n.put("out_channels", LATENT_CHANNELS);
    n.put("sample_size", sampleSize);
    strings(
        n.putArray("up_block_types"),
        List.of("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"));
    n.put("use_linear_projection", false);
    return n;
  }

  /** {@code vae/config.json}. */
  public ObjectNode vaeConfig() {
    ObjectNode n = JSON.createObjectNode();
    n.put("_class_name", "AutoencoderKL");
    n.put("_diffusers_version", DIFFUSERS_VERSION);
    n.put("act_fn", "silu");
    ints(n.putArray("block_out_channels"), vaeChannels);
    strings(n.putArray("down_block_types"), Collections.nCopies(4, "DownEncoderBlock2D"));
    n.put("in_channels", 3);
    n.put("latent_channels", LATENT_CHANNELS);
    n.put("layers_per_block", layersPerBlock);
    n.put("norm_num_groups", normGroups);
    n.put("out_channels", 3);
    n.put("sample_size", sampleSize * 8);
    n.put("scaling_factor", 0.18215);
    strings(n.putArray("up_block_types"), Collections.nCopies(4, "UpDecoderBlock2D"));
    return n;
  }

  /** {@code text_encoder/config.json}; the special tokens are the last two ids. */
  public ObjectNode textEncoderConfig() {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("architectures").add("CLIPTextModel");
    n.put("attention_dropout", 0.0);
    n.put("bos_token_id", vocabSize - 2);
    n.put("eos_token_id", vocabSize - 1);
    n.put("hidden_act", "quick_gelu");
    n.put("hidden_size", textHidden);
    n.put("initializer_factor", 1.0);
    n.put("initializer_range", 0.02);
    n.put("intermediate_size", textIntermediate);
    n.put("layer_norm_eps", 1e-05);
    n.put("max_position_embeddings", MAX_POSITIONS);
    n.put("model_type", "clip_text_model");
    n.put("num_attention_heads", textHeads);
    n.put("num_hidden_layers", textLayers);
    n.put("pad_token_id", vocabSize - 1);
    n.put("projection_dim", textHidden);
    n.put("torch_dtype", "float32");
    n.put("vocab_size", vocabSize);
    return n;
  }

  private static void ints(ArrayNode array, List<Integer> values) {
    values.forEach(array::add);
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }
}
