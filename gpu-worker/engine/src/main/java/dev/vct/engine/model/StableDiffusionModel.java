package dev.vct.engine.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vct.engine.scheduler.DdimSchedulerConfig;
import dev.vct.engine.text.ClipTextModel;
import dev.vct.engine.tokenizer.ClipTokenizer;
import dev.vct.engine.unet.UNet2DConditionModel;
import dev.vct.engine.vae.AutoencoderKL;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Stable Diffusion 1.x pipeline folder in the diffusers layout ({@code unet/ vae/ text_encoder/
 * tokenizer/ scheduler/}, {@code model_index.json} optional), loaded onto one device. Weights
 * stored as fp16 or bf16 are widened to float32 for computation. Closing the model frees every
 * weight.
 */
public final class StableDiffusionModel implements AutoCloseable {

  /** Component classes this engine implements, as model_index.json names them. */
  private static final Map<String, String> EXPECTED_CLASSES =
      Map.of(
          "unet", "UNet2DConditionModel",
          "vae", "AutoencoderKL",
          "text_encoder", "CLIPTextModel",
          "tokenizer", "CLIPTokenizer");

  private final Path dir;
  private final NDManager manager;
  private final UNet2DConditionModel unet;
  private final AutoencoderKL vae;
  private final ClipTextModel textEncoder;
  private final ClipTokenizer tokenizer;
  private final DdimSchedulerConfig schedulerConfig;

  private StableDiffusionModel(
      Path dir,
      NDManager manager,
      UNet2DConditionModel unet,
      AutoencoderKL vae,
      ClipTextModel textEncoder,
      ClipTokenizer tokenizer,
      DdimSchedulerConfig schedulerConfig) {
    this.dir = dir;
    this.manager = manager;
    this.unet = unet;
    this.vae = vae;
    this.textEncoder = textEncoder;
    this.tokenizer = tokenizer;
    this.schedulerConfig = schedulerConfig;
  }

  /** Loads {@code dir} onto the device named by the configuration (cpu by default). */
  public static StableDiffusionModel load(Path dir) {
    return load(dir, ComputeDevice.fromConfiguration());
  }

  /** Loads {@code dir} onto {@code device}; fails naming every missing or inconsistent part. */
  public static StableDiffusionModel load(Path dir, Device device) {
    checkLayout(dir);
    NDManager manager = NDManager.newBaseManager(device);
    try {
      ClipTokenizer tokenizer = ClipTokenizer.load(dir.resolve("tokenizer"));
      ClipTextModel textEncoder = ClipTextModel.load(dir.resolve("text_encoder"), manager);
      UNet2DConditionModel unet = UNet2DConditionModel.load(dir.resolve("unet"), manager);
      AutoencoderKL vae = AutoencoderKL.load(dir.resolve("vae"), manager);
      checkConsistent(dir, unet, vae, textEncoder, tokenizer);
      EngineThreads.configure(() -> workload(dir, unet));
      return new StableDiffusionModel(
          dir, manager, unet, vae, textEncoder, tokenizer, schedulerConfig(dir));
    } catch (IOException e) {
      manager.close();
      throw new UncheckedIOException(e.getMessage(), e);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** The components must fit together: latent channels, context width, vocabulary. */
  private static void checkConsistent(
      Path dir,
      UNet2DConditionModel unet,
      AutoencoderKL vae,
      ClipTextModel textEncoder,
      ClipTokenizer tokenizer) {
    List<String> problems = new ArrayList<>();
    if (unet.config().inChannels() != vae.config().latentChannels()) {
      problems.add(
          "unet in_channels="
              + unet.config().inChannels()
              + " but vae latent_channels="
              + vae.config().latentChannels());
    }
    int hidden = textEncoder.config().hiddenSize();
    if (unet.config().crossAttentionDim().stream().anyMatch(d -> d != hidden)) {
      problems.add(
          "unet cross_attention_dim="
              + unet.config().crossAttentionDim()
              + " but text_encoder hidden_size="
              + hidden);
    }
    if (tokenizer.vocabSize() > textEncoder.config().vocabSize()) {
      problems.add(
          "tokenizer has "
              + tokenizer.vocabSize()
              + " tokens but text_encoder vocab_size="
              + textEncoder.config().vocabSize());
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          dir + ": components do not fit together (from different models?): " + problems);
    }
  }

  /**
   * One UNet call at the model's own resolution (unet sample_size, 64 latent pixels a side for
   * SD-1.x when absent) and batch 1: what the process's thread count is chosen from.
   */
  static EngineThreads.Workload workload(Path dir, UNet2DConditionModel unet) {
    long weights =
        UNet2DConditionModel.expectedWeightShapes(unet.config()).values().stream()
            .mapToLong(Shape::size)
            .sum();
    int side = 64;
    try {
      JsonNode size = new ObjectMapper().readTree(dir.resolve("unet/config.json").toFile());
      side = size.path("sample_size").asInt(side);
    } catch (IOException e) {
      // the UNet was just loaded from that file; keep SD-1.x's size if it cannot be re-read
    }
    return new EngineThreads.Workload(weights, (long) side * side, 1);
  }

  /** The DDIM config from {@code scheduler/scheduler_config.json}, else SD-1.x's own. */
  private static DdimSchedulerConfig schedulerConfig(Path dir) {
    Path file = dir.resolve("scheduler/scheduler_config.json");
    return Files.isRegularFile(file)
        ? DdimSchedulerConfig.read(file)
        : DdimSchedulerConfig.stableDiffusion();
  }

  /** Every component folder must exist, and model_index.json (if any) must name our classes. */
  private static void checkLayout(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("model directory not found: " + dir);
    }
    List<String> problems = new ArrayList<>();
    for (String component : EXPECTED_CLASSES.keySet().stream().sorted().toList()) {
      if (!Files.isDirectory(dir.resolve(component))) {
        problems.add("no " + component + "/ folder");
      }
    }
    Path index = dir.resolve("model_index.json");
    if (Files.isRegularFile(index)) {
      JsonNode json;
      try {
        json = new ObjectMapper().readTree(index.toFile());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + index, e);
      }
      EXPECTED_CLASSES.forEach(
          (component, expected) -> {
            JsonNode entry = json.path(component);
            if (entry.isArray() && entry.size() == 2 && !entry.get(1).asText().equals(expected)) {
              problems.add(
                  "model_index.json says "
                      + component
                      + " is "
                      + entry.get(1).asText()
                      + ", this engine loads "
                      + expected);
            }
          });
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          dir + " is not a Stable Diffusion 1.x folder in the diffusers layout: " + problems);
    }
  }

  public Path dir() {
    return dir;
  }

  public Device device() {
    return manager.getDevice();
  }

  /** The manager that owns the weights (arrays for this model's device come from it). */
  public NDManager manager() {
    return manager;
  }

  public UNet2DConditionModel unet() {
    return unet;
  }

  public AutoencoderKL vae() {
    return vae;
  }

  public ClipTextModel textEncoder() {
    return textEncoder;
  }

  /** The tokenizer as stored (add VCT placeholders with {@link ClipTokenizer#withPlaceholder}). */
  public ClipTokenizer tokenizer() {
    return tokenizer;
  }

  public DdimSchedulerConfig schedulerConfig() {
    return schedulerConfig;
  }

  @Override
  public void close() {
    manager.close();
  }
}
