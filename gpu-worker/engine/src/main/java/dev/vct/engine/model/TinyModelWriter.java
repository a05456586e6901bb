package dev.vct.engine.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
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

  private static final Sd1Architecture SIZE = Sd1Architecture.TINY;

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
    TinyBpeVocabulary vocabulary = TinyBpeVocabulary.learn(SIZE.vocabSize());
    writeJson(dir.resolve("model_index.json"), modelIndex());
    writeJson(dir.resolve("scheduler/scheduler_config.json"), schedulerConfig());
    writeJson(dir.resolve("unet/config.json"), SIZE.unetConfig());
    writeWeights(dir.resolve("unet"), "diffusion_pytorch_model", "unet", SIZE.unetLayout());
    writeJson(dir.resolve("vae/config.json"), SIZE.vaeConfig());
    writeWeights(dir.resolve("vae"), "diffusion_pytorch_model", "vae", SIZE.vaeLayout());
    writeJson(dir.resolve("text_encoder/config.json"), SIZE.textEncoderConfig());
    writeWeights(dir.resolve("text_encoder"), "model", "text_encoder", SIZE.textEncoderLayout());
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
   * Seeded values at {@link RandomInit}'s scales. Each tensor has its own stream derived from the
   * seed and its name, so values do not depend on which other tensors exist.
   */
  private float[] initialValues(String streamName, String key, long[] shape) {
    int n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, (int) d);
    }
    RandomInit init = RandomInit.forKey(key, shape);
    return new SeededNormal(seed ^ fnv1a(streamName)).fill(n, init.mean(), init.std());
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
    n.put("_diffusers_version", Sd1Architecture.DIFFUSERS_VERSION);
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
    n.put("_diffusers_version", Sd1Architecture.DIFFUSERS_VERSION);
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
    config.put("model_max_length", Sd1Architecture.MAX_POSITIONS);
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
