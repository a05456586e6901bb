package dev.vct.engine.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vct.engine.tensor.SafeTensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a complete tiny Stable Diffusion 1.x pipeline folder in the diffusers layout (unet, vae,
 * text_encoder, tokenizer, scheduler, model_index.json) with random weights from a seed: the SD
 * topology at toy widths, for tests and demos that need a real model folder in seconds. The same
 * seed and dtype always give the same bytes.
 */
public final class TinyModelWriter {

  /** How the weights are stored; computation is float32 whatever the files hold. */
  public enum WeightDtype {
    FP32,
    FP16,
    BF16;

    public static WeightDtype parse(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }
  }

  // The tiny sizes: SD-1.x blocks, 4 levels, 8 norm groups, context width 32.
  static final List<Integer> UNET_CHANNELS = List.of(16, 16, 32, 32);
  static final List<Integer> VAE_CHANNELS = List.of(16, 16, 32, 32);
  static final int LAYERS_PER_BLOCK = 2;
  static final int NORM_GROUPS = 8;
  static final int HEADS = 8;
  static final int HIDDEN = 32;
  static final int TEXT_LAYERS = 3;
  static final int TEXT_HEADS = 4;
  static final int TEXT_INTERMEDIATE = 64;
  static final int VOCAB_SIZE = 1000;
  static final int MAX_POSITIONS = 77;
  static final int LATENT_CHANNELS = 4;
  static final String DIFFUSERS_VERSION = "0.21.4";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectWriter PRETTY =
      JSON.writer(
          new DefaultPrettyPrinter()
              .withObjectIndenter(new DefaultIndenter("  ", "\n"))
              .withArrayIndenter(new DefaultIndenter("  ", "\n")));

  private final long seed;
  private final WeightDtype dtype;

  public TinyModelWriter(long seed, WeightDtype dtype) {
    this.seed = seed;
    this.dtype = dtype;
  }

  /** Writes the pipeline into {@code dir} (created if needed; existing files are replaced). */
  public void write(Path dir) {
    TinyBpeVocabulary vocabulary = TinyBpeVocabulary.learn(VOCAB_SIZE);
    writeJson(dir.resolve("model_index.json"), modelIndex());
    writeJson(dir.resolve("scheduler/scheduler_config.json"), schedulerConfig());

    writeJson(dir.resolve("unet/config.json"), unetConfig());
    writeWeights(
        dir.resolve("unet"),
        "diffusion_pytorch_model",
        "unet",
        CheckpointLayout.unet(
            LATENT_CHANNELS, LATENT_CHANNELS, UNET_CHANNELS, LAYERS_PER_BLOCK, HIDDEN));

    writeJson(dir.resolve("vae/config.json"), vaeConfig());
    writeWeights(
        dir.resolve("vae"),
        "diffusion_pytorch_model",
        "vae",
        CheckpointLayout.vae(3, 3, LATENT_CHANNELS, VAE_CHANNELS, LAYERS_PER_BLOCK, false));

    writeJson(dir.resolve("text_encoder/config.json"), textConfig(vocabulary));
    writeWeights(
        dir.resolve("text_encoder"),
        "model",
        "text_encoder",
        CheckpointLayout.clipText(
            vocabulary.size(), HIDDEN, TEXT_INTERMEDIATE, TEXT_LAYERS, MAX_POSITIONS));

    writeTokenizer(dir.resolve("tokenizer"), vocabulary);
  }

  private void writeWeights(Path dir, String baseName, String component, CheckpointLayout layout) {
    SafeTensorsWriter writer = new SafeTensorsWriter().metadata("format", "pt");
    for (Map.Entry<String, long[]> e : layout.shapes().entrySet()) {
      String key = e.getKey();
      long[] shape = e.getValue();
      float[] values = initialValues(component + "/" + key, key, shape);
      switch (dtype) {
        case FP32 -> writer.put(key, values, shape);
        case FP16 -> writer.putF16(key, values, shape);
        case BF16 -> writer.putBF16(key, values, shape);
      }
    }
    // diffusers names an fp16 copy as the "fp16" variant of the weights file
    String file = baseName + (dtype == WeightDtype.FP16 ? ".fp16" : "") + ".safetensors";
    String other = baseName + (dtype == WeightDtype.FP16 ? "" : ".fp16") + ".safetensors";
    writer.write(dir.resolve(file));
    try {
      // a previous run with another dtype must not leave a second weights file behind
      Files.deleteIfExists(dir.resolve(other));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir.resolve(other), e);
    }
  }

  /**
   * Initial values that keep activations of order one: weights N(0, 1/fan_in), embeddings N(0,
   * 0.02), norm scales 1 + N(0, 0.05), biases N(0, 0.02). Each tensor has its own stream derived
   * from the seed and its name, so values do not depend on which other tensors exist.
   */
  private float[] initialValues(String streamName, String key, long[] shape) {
    int n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, (int) d);
    }
    SeededNormal normal = new SeededNormal(seed ^ fnv1a(streamName));
    if (key.endsWith(".bias")) {
      return normal.fill(n, 0, 0.02);
    }
    if (shape.length == 1) {
      return normal.fill(n, 1, 0.05);
    }
    if (key.contains("embedding")) {
      return normal.fill(n, 0, 0.02);
    }
    long fanIn = n / shape[0];
    return normal.fill(n, 0, 1 / Math.sqrt(fanIn));
  }

  private static long fnv1a(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }

  private static ObjectNode modelIndex() {
    ObjectNode n = JSON.createObjectNode();
    n.put("_class_name", "StableDiffusionPipeline");
    n.put("_diffusers_version", DIFFUSERS_VERSION);
    n.putArray("feature_extractor").addNull().addNull();
    n.put("requires_safety_checker", false);
    n.putArray("safety_checker").addNull().addNull();
    n.putArray("scheduler").add("diffusers").add("DDIMScheduler");
    n.putArray("text_encoder").add("transformers").add("CLIPTextModel");
    n.putArray("tokenizer").add("transformers").add("CLIPTokenizer");
    n.putArray("unet").add("diffusers").add("UNet2DConditionModel");
    n.putArray("vae").add("diffusers").add("AutoencoderKL");
    return n;
  }

  private static ObjectNode schedulerConfig() {
    ObjectNode n = JSON.createObjectNode();
    n.put("_class_name", "DDIMScheduler");
    n.put("_diffusers_version", DIFFUSERS_VERSION);
    n.put("beta_end", 0.012);
    n.put("beta_schedule", "scaled_linear");
    n.put("beta_start", 0.00085);
    n.put("clip_sample", false);
    n.put("num_train_timesteps", 1000);
    n.put("prediction_type", "epsilon");
    n.put("set_alpha_to_one", false);
    n.put("steps_offset", 1);
    n.put("timestep_spacing", "leading");
    n.putNull("trained_betas");
    return n;
  }

  private static ObjectNode unetConfig() {
    ObjectNode n = JSON.createObjectNode();
    n.put("_class_name", "UNet2DConditionModel");
    n.put("_diffusers_version", DIFFUSERS_VERSION);
    n.put("act_fn", "silu");
    n.put("attention_head_dim", HEADS);
    ints(n.putArray("block_out_channels"), UNET_CHANNELS);
    n.put("center_input_sample", false);
    n.put("cross_attention_dim", HIDDEN);
    strings(
        n.putArray("down_block_types"),
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D");
    n.put("downsample_padding", 1);
    n.put("flip_sin_to_cos", true);
    n.put("freq_shift", 0);
    n.put("in_channels", LATENT_CHANNELS);
    n.put("layers_per_block", LAYERS_PER_BLOCK);
    n.put("mid_block_scale_factor", 1);
    n.put("norm_eps", 1e-05);
    n.put("norm_num_groups", NORM_GROUPS);
    n.put("out_channels", LATENT_CHANNELS);
    n.put("sample_size", 8);
    strings(
        n.putArray("up_block_types"),
        "UpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D");
    n.put("use_linear_projection", false);
    return n;
  }

  private static ObjectNode vaeConfig() {
    ObjectNode n = JSON.createObjectNode();
    n.put("_class_name", "AutoencoderKL");
    n.put("_diffusers_version", DIFFUSERS_VERSION);
    n.put("act_fn", "silu");
    ints(n.putArray("block_out_channels"), VAE_CHANNELS);
    strings(n.putArray("down_block_types"), repeat("DownEncoderBlock2D", VAE_CHANNELS.size()));
    n.put("in_channels", 3);
    n.put("latent_channels", LATENT_CHANNELS);
    n.put("layers_per_block", LAYERS_PER_BLOCK);
    n.put("norm_num_groups", NORM_GROUPS);
    n.put("out_channels", 3);
    n.put("sample_size", 64);
    n.put("scaling_factor", 0.18215);
    strings(n.putArray("up_block_types"), repeat("UpDecoderBlock2D", VAE_CHANNELS.size()));
    return n;
  }

  private static ObjectNode textConfig(TinyBpeVocabulary vocabulary) {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("architectures").add("CLIPTextModel");
    n.put("attention_dropout", 0.0);
    n.put("bos_token_id", vocabulary.startId());
    n.put("eos_token_id", vocabulary.endId());
    n.put("hidden_act", "quick_gelu");
    n.put("hidden_size", HIDDEN);
    n.put("initializer_factor", 1.0);
    n.put("initializer_range", 0.02);
    n.put("intermediate_size", TEXT_INTERMEDIATE);
    n.put("layer_norm_eps", 1e-05);
    n.put("max_position_embeddings", MAX_POSITIONS);
    n.put("model_type", "clip_text_model");
    n.put("num_attention_heads", TEXT_HEADS);
    n.put("num_hidden_layers", TEXT_LAYERS);
    n.put("pad_token_id", vocabulary.endId());
    n.put("projection_dim", HIDDEN);
    n.put("torch_dtype", "float32");
    n.put("vocab_size", vocabulary.size());
    return n;
  }

  private static void writeTokenizer(Path dir, TinyBpeVocabulary vocabulary) {
    Map<String, Integer> ids = new TreeMap<>();
    List<String> tokens = vocabulary.vocabulary();
    for (int i = 0; i < tokens.size(); i++) {
      ids.put(tokens.get(i), i);
    }
    ObjectNode vocab = JSON.createObjectNode();
    ids.forEach(vocab::put);
    writeJson(dir.resolve("vocab.json"), vocab);

    StringBuilder merges = new StringBuilder("#version: 0.2\n");
    for (String[] m : vocabulary.merges()) {
      merges.append(m[0]).append(' ').append(m[1]).append('\n');
    }
    writeText(dir.resolve("merges.txt"), merges.toString());

    ObjectNode config = JSON.createObjectNode();
    config.put("bos_token", TinyBpeVocabulary.START);
    config.put("clean_up_tokenization_spaces", true);
    config.put("do_lower_case", true);
    config.put("eos_token", TinyBpeVocabulary.END);
    config.put("errors", "replace");
    config.put("model_max_length", MAX_POSITIONS);
    config.put("pad_token", TinyBpeVocabulary.END);
    config.put("tokenizer_class", "CLIPTokenizer");
    config.put("unk_token", TinyBpeVocabulary.END);
    writeJson(dir.resolve("tokenizer_config.json"), config);

    ObjectNode special = JSON.createObjectNode();
    special.put("bos_token", TinyBpeVocabulary.START);
    special.put("eos_token", TinyBpeVocabulary.END);
    special.put("pad_token", TinyBpeVocabulary.END);
    special.put("unk_token", TinyBpeVocabulary.END);
    writeJson(dir.resolve("special_tokens_map.json"), special);
  }

  private static String[] repeat(String s, int n) {
    String[] out = new String[n];
    java.util.Arrays.fill(out, s);
    return out;
  }

  private static void ints(ArrayNode array, List<Integer> values) {
    values.forEach(array::add);
  }

  private static void strings(ArrayNode array, String... values) {
    for (String v : values) {
      array.add(v);
    }
  }

  private static void writeJson(Path file, ObjectNode node) {
    try {
      writeText(file, PRETTY.writeValueAsString(node) + "\n");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + file, e);
    }
  }

  private static void writeText(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
