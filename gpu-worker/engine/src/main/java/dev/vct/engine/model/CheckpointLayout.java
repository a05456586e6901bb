package dev.vct.engine.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Key names and shapes of the Stable Diffusion 1.x checkpoints in the diffusers / transformers
 * layout, derived from a few config values. This is what {@code init-tiny} writes random weights
 * for; the networks themselves read their weights by the same keys.
 */
public final class CheckpointLayout {

  private final Map<String, long[]> shapes = new LinkedHashMap<>();

  private CheckpointLayout() {}

  /** Key -> shape, in module order. */
  public Map<String, long[]> shapes() {
    return shapes;
  }

  /**
   * {@code UNet2DConditionModel} with SD-1.x blocks: CrossAttnDownBlock2D for every level but the
   * last (DownBlock2D), UNetMidBlock2DCrossAttn, UpBlock2D then CrossAttnUpBlock2D; conv
   * projections in the transformers (use_linear_projection false), one transformer layer each.
   */
  public static CheckpointLayout unet(
      int inChannels, int outChannels, List<Integer> channels, int layers, int crossAttentionDim) {
    CheckpointLayout l = new CheckpointLayout();
    int levels = channels.size();
    int c0 = channels.get(0);
    int timeDim = 4 * c0;
    l.conv("conv_in", c0, inChannels, 3);
    l.linear("time_embedding.linear_1", timeDim, c0, true);
    l.linear("time_embedding.linear_2", timeDim, timeDim, true);

    int out = c0;
    for (int i = 0; i < levels; i++) {
      int in = out;
      out = channels.get(i);
      boolean last = i == levels - 1;
      String block = "down_blocks." + i;
      for (int j = 0; j < layers; j++) {
        l.resnet(block + ".resnets." + j, j == 0 ? in : out, out, timeDim);
        if (!last) {
          l.transformer(block + ".attentions." + j, out, crossAttentionDim);
        }
      }
      if (!last) {
        l.conv(block + ".downsamplers.0.conv", out, out, 3);
      }
    }

    int top = channels.get(levels - 1);
    l.resnet("mid_block.resnets.0", top, top, timeDim);
    l.transformer("mid_block.attentions.0", top, crossAttentionDim);
    l.resnet("mid_block.resnets.1", top, top, timeDim);

    out = top;
    for (int i = 0; i < levels; i++) {
      int prevOut = out;
      out = channels.get(levels - 1 - i);
      int in = channels.get(Math.max(levels - 2 - i, 0));
      boolean last = i == levels - 1;
      String block = "up_blocks." + i;
      for (int j = 0; j <= layers; j++) {
        int skip = j == layers ? in : out;
        int resIn = j == 0 ? prevOut : out;
        l.resnet(block + ".resnets." + j, resIn + skip, out, timeDim);
        if (i > 0) {
          l.transformer(block + ".attentions." + j, out, crossAttentionDim);
        }
      }
      if (!last) {
        l.conv(block + ".upsamplers.0.conv", out, out, 3);
      }
    }
    l.norm("conv_norm_out", c0);
    l.conv("conv_out", outChannels, c0, 3);
    return l;
  }

  /**
   * {@code AutoencoderKL} with DownEncoderBlock2D / UpDecoderBlock2D levels and one attention in
   * each mid block. {@code legacyAttentionKeys} selects the names of the original SD-1.5 files
   * ({@code query/key/value/proj_attn}) instead of diffusers' current ones ({@code
   * to_q/to_k/to_v/to_out.0}).
   */
  public static CheckpointLayout vae(
      int inChannels,
      int outChannels,
      int latentChannels,
      List<Integer> channels,
      int layers,
      boolean legacyAttentionKeys) {
    CheckpointLayout l = new CheckpointLayout();
    int levels = channels.size();
    int top = channels.get(levels - 1);
    int c0 = channels.get(0);

    l.conv("encoder.conv_in", c0, inChannels, 3);
    int out = c0;
    for (int i = 0; i < levels; i++) {
      int in = out;
      out = channels.get(i);
      String block = "encoder.down_blocks." + i;
      for (int j = 0; j < layers; j++) {
        l.resnet(block + ".resnets." + j, j == 0 ? in : out, out, 0);
      }
      if (i < levels - 1) {
        l.conv(block + ".downsamplers.0.conv", out, out, 3);
      }
    }
    l.vaeMid("encoder.mid_block", top, legacyAttentionKeys);
    l.norm("encoder.conv_norm_out", top);
    l.conv("encoder.conv_out", 2 * latentChannels, top, 3);

    l.conv("decoder.conv_in", top, latentChannels, 3);
    l.vaeMid("decoder.mid_block", top, legacyAttentionKeys);
    out = top;
    for (int i = 0; i < levels; i++) {
      int prevOut = out;
      out = channels.get(levels - 1 - i);
      String block = "decoder.up_blocks." + i;
      for (int j = 0; j <= layers; j++) {
        l.resnet(block + ".resnets." + j, j == 0 ? prevOut : out, out, 0);
      }
      if (i < levels - 1) {
        l.conv(block + ".upsamplers.0.conv", out, out, 3);
      }
    }
    l.norm("decoder.conv_norm_out", c0);
    l.conv("decoder.conv_out", outChannels, c0, 3);

    l.conv("quant_conv", 2 * latentChannels, 2 * latentChannels, 1);
    l.conv("post_quant_conv", latentChannels, latentChannels, 1);
    return l;
  }

  /** transformers {@code CLIPTextModel} (pre-LN encoder, final layer norm). */
  public static CheckpointLayout clipText(
      int vocabSize, int hidden, int intermediate, int layers, int maxPositions) {
    CheckpointLayout l = new CheckpointLayout();
    l.put("text_model.embeddings.token_embedding.weight", vocabSize, hidden);
    l.put("text_model.embeddings.position_embedding.weight", maxPositions, hidden);
    for (int i = 0; i < layers; i++) {
      String layer = "text_model.encoder.layers." + i;
      l.norm(layer + ".layer_norm1", hidden);
      for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
        l.linear(layer + ".self_attn." + proj, hidden, hidden, true);
      }
      l.norm(layer + ".layer_norm2", hidden);
      l.linear(layer + ".mlp.fc1", intermediate, hidden, true);
      l.linear(layer + ".mlp.fc2", hidden, intermediate, true);
    }
    l.norm("text_model.final_layer_norm", hidden);
    return l;
  }

  private void resnet(String p, int in, int out, int timeDim) {
    norm(p + ".norm1", in);
    conv(p + ".conv1", out, in, 3);
    if (timeDim > 0) {
      linear(p + ".time_emb_proj", out, timeDim, true);
    }
    norm(p + ".norm2", out);
    conv(p + ".conv2", out, out, 3);
    if (in != out) {
      conv(p + ".conv_shortcut", out, in, 1);
    }
  }

  /** Transformer2DModel with one BasicTransformerBlock (self-attn, cross-attn, GEGLU FF). */
  private void transformer(String p, int channels, int crossDim) {
    norm(p + ".norm", channels);
    conv(p + ".proj_in", channels, channels, 1);
    String b = p + ".transformer_blocks.0";
    norm(b + ".norm1", channels);
    attention(b + ".attn1", channels, channels);
    norm(b + ".norm2", channels);
    attention(b + ".attn2", channels, crossDim);
    norm(b + ".norm3", channels);
    linear(b + ".ff.net.0.proj", 8 * channels, channels, true);
    linear(b + ".ff.net.2", channels, 4 * channels, true);
    conv(p + ".proj_out", channels, channels, 1);
  }

  private void attention(String p, int channels, int contextDim) {
    linear(p + ".to_q", channels, channels, false);
    linear(p + ".to_k", channels, contextDim, false);
    linear(p + ".to_v", channels, contextDim, false);
    linear(p + ".to_out.0", channels, channels, true);
  }

  private void vaeMid(String p, int channels, boolean legacy) {
    resnet(p + ".resnets.0", channels, channels, 0);
    String a = p + ".attentions.0";
    norm(a + ".group_norm", channels);
    List<String> names =
        legacy
            ? List.of("query", "key", "value", "proj_attn")
            : List.of("to_q", "to_k", "to_v", "to_out.0");
    for (String name : names) {
      linear(a + "." + name, channels, channels, true);
    }
    resnet(p + ".resnets.1", channels, channels, 0);
  }

  private void conv(String p, int out, int in, int kernel) {
    put(p + ".weight", out, in, kernel, kernel);
    put(p + ".bias", out);
  }

  private void linear(String p, int out, int in, boolean bias) {
    put(p + ".weight", out, in);
    if (bias) {
      put(p + ".bias", out);
    }
  }

  private void norm(String p, int channels) {
    put(p + ".weight", channels);
    put(p + ".bias", channels);
  }

  private void put(String key, long... shape) {
    if (shapes.put(key, shape) != null) {
      throw new IllegalStateException("duplicate key " + key);
    }
  }
}
