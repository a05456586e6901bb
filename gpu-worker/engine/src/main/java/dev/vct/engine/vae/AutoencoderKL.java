package dev.vct.engine.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.nn.AttentionProcessor;
import dev.vct.engine.nn.CheckpointWeights;
import dev.vct.engine.nn.ComponentFiles;
import dev.vct.engine.nn.Conv2d;
import dev.vct.engine.nn.Scoped;
import dev.vct.engine.nn.WeightShapes;
import dev.vct.engine.nn.WeightSource;
import dev.vct.engine.tensor.StateDict;
import java.nio.file.Path;
import java.util.Map;

/**
 * The SD-1.x VAE (diffusers {@code AutoencoderKL}): {@link #encode} gives the latent distribution,
 * {@link #decode} maps latents back to images in [-1, 1] (unclamped). No scaling factor is applied
 * inside: see {@link VaeConfig#scalingFactor()}.
 */
public final class AutoencoderKL implements AutoCloseable {
  private static final float LOGVAR_MIN = -30f;
  private static final float LOGVAR_MAX = 20f;
  private final VaeConfig config;
  private final NDManager manager;
  private final Encoder encoder;
  private final Conv2d quantConv; // (2 latent, 2 latent, 1, 1)
  private final Conv2d postQuantConv; // (latent, latent, 1, 1)
  private final Decoder decoder;
  private final NDArray half; // 0-d 0.5

  private AutoencoderKL(VaeConfig config, NDManager manager, WeightSource w) {
    this.config = config;
    this.manager = manager;
    long moments = 2L * config.latentChannels();
    encoder = Encoder.load(w, "encoder", config);
    quantConv = Conv2d.load(w, "quant_conv", moments, moments, 1, 1, 0);
    postQuantConv =
        Conv2d.load(
            w, "post_quant_conv", config.latentChannels(), config.latentChannels(), 1, 1, 0);
    decoder = Decoder.load(w, "decoder", config);
    half = manager.full(new Shape(), 0.5f);
  }

  /**
   * Loads a diffusers {@code vae/} folder ({@code config.json} and {@code
   * diffusion_pytorch_model.safetensors} or its {@code .fp16} variant). Weights live in a
   * sub-manager of {@code manager}, freed by {@link #close()}.
   */
  public static AutoencoderKL load(Path componentDir, NDManager manager) {
    VaeConfig config = VaeConfig.read(ComponentFiles.config(componentDir));
    try (StateDict weights = StateDict.open(ComponentFiles.weights(componentDir))) {
      return create(config, weights, manager);
    }
  }

  /**
   * Builds the VAE for {@code config} from {@code weights} (either attention key style); fails
   * naming every missing, mis-shaped and unexpected key.
   */
  public static AutoencoderKL create(VaeConfig config, StateDict weights, NDManager manager) {
    NDManager own = manager.newSubManager();
    try {
      CheckpointWeights source = new CheckpointWeights(weights, own);
      AutoencoderKL vae = new AutoencoderKL(config, own, source);
      source.verify();
      return vae;
    } catch (RuntimeException e) {
      own.close();
      throw e;
    }
  }

  /**
   * The checkpoint keys and shapes (diffusers >= 0.14 attention names) a VAE of {@code config}
   * loads, from the config alone.
   */
  public static Map<String, Shape> expectedWeightShapes(VaeConfig config) {
    try (NDManager scratch = NDManager.newBaseManager();
        WeightShapes shapes = new WeightShapes(scratch)) {
      new AutoencoderKL(config, shapes.manager(), shapes);
      return Map.copyOf(shapes.shapes());
    }
  }

  public VaeConfig config() {
    return config;
  }

  /** Installs a processor in the encoder's and the decoder's mid-block attention. */
  public void setAttentionProcessor(AttentionProcessor processor) {
    encoder.midBlock().attention().attention().setProcessor(processor);
    decoder.midBlock().attention().attention().setProcessor(processor);
  }

  /** {@code image}: (N, in_channels, H, W) in [-1, 1]. */
  public LatentDistribution encode(NDArray image) {
    Shape s = image.getShape();
    if (s.dimension() != 4 || s.get(1) != config.inChannels()) {
      throw new IllegalArgumentException(
          "VAE input must be (N, " + config.inChannels() + ", H, W), got " + s);
    }
    NDArray moments = Scoped.call(() -> quantConv.forward(encoder.forward(image)));
    NDList meanAndLogvar = moments.split(2, 1);
    NDArray logvar = meanAndLogvar.get(1).clip(LOGVAR_MIN, LOGVAR_MAX);
    return new LatentDistribution(meanAndLogvar.get(0), logvar, logvar.mul(half).exp());
  }

  /** {@code latent}: (N, latent_channels, h, w), unscaled; returns the image, unclamped. */
  public NDArray decode(NDArray latent) {
    Shape s = latent.getShape();
    if (s.dimension() != 4 || s.get(1) != config.latentChannels()) {
      throw new IllegalArgumentException(
          "VAE latent must be (N, " + config.latentChannels() + ", h, w), got " + s);
    }
    return Scoped.call(() -> decoder.forward(postQuantConv.forward(latent)));
  }

  /** Frees the weights. */
  @Override
  public void close() {
    manager.close();
  }
}
