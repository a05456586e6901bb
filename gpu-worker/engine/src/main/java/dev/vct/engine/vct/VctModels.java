package dev.vct.engine.vct;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vct.engine.model.ComputeDevice;
import dev.vct.engine.model.StableDiffusionModel;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.AttentionProcessor;
import dev.vct.engine.nn.SlicedAttentionProcessor;
import dev.vct.engine.scheduler.DdimSchedule;
import dev.vct.engine.scheduler.DdimScheduler;
import dev.vct.engine.scheduler.DdimSchedulerConfig;
import dev.vct.engine.text.ClipTextModel;
import dev.vct.engine.tokenizer.ClipTokenizer;
import dev.vct.engine.unet.UNet2DConditionModel;
import dev.vct.engine.vae.AutoencoderKL;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The networks the VCT stages share, loaded once: UNet, VAE, CLIP text encoder and tokenizer of an
 * SD-1.x folder. Stages borrow them; UNet calls go through {@link #predictNoise}, which installs
 * the caller's attention processors for the duration of the call, so stages on different threads
 * may share one model.
 */
public final class VctModels implements AutoCloseable {

  /** SD's latent scaling factor, hard-coded in the official VCT code. */
  public static final float LATENT_SCALE = 0.18215f;

  /**
   * Attention computes at most this many scores at once (batch x heads x queries x keys); larger
   * calls are sliced over the queries. 2^25 floats = 128 MiB: a 64x64 self-attention (512 px; 8 x
   * 4096 x 4096 = 2^27 scores per sample) runs in slices of 1024 queries at batch 1, which cuts the
   * forward's scores and softmax and backward's temporaries to a quarter (docs/bench-memory.md); 64
   * px calls (8x8 latents) never slice.
   */
  public static final long DEFAULT_MAX_ATTENTION_SCORES = 1L << 25;

  private final StableDiffusionModel sd;
  private final AttentionProcessor plainAttention;
  private NullTextLoss nullTextLoss; // guarded by this

  private VctModels(StableDiffusionModel sd, long maxAttentionScores) {
    this.sd = sd;
    this.plainAttention = new SlicedAttentionProcessor(maxAttentionScores);
  }

  /** Loads {@code dir} on the configured device (cpu unless vct.engine.device says otherwise). */
  public static VctModels load(Path dir) {
    return load(dir, ComputeDevice.fromConfiguration(), DEFAULT_MAX_ATTENTION_SCORES);
  }

  public static VctModels load(Path dir, Device device, long maxAttentionScores) {
    return new VctModels(StableDiffusionModel.load(dir, device), maxAttentionScores);
  }

  public Path dir() {
    return sd.dir();
  }

  /** Owns the weights; stages open their per-step managers under it. */
  public NDManager manager() {
    return sd.manager();
  }

  public UNet2DConditionModel unet() {
    return sd.unet();
  }

  public AutoencoderKL vae() {
    return sd.vae();
  }

  public ClipTextModel textEncoder() {
    return sd.textEncoder();
  }

  public ClipTokenizer tokenizer() {
    return sd.tokenizer();
  }

  /** Hidden width of the text encoder (768 for SD-1.x). */
  public int textHidden() {
    return sd.textEncoder().config().hiddenSize();
  }

  /** Latent channels of the VAE (4). */
  public int latentChannels() {
    return sd.vae().config().latentChannels();
  }

  /** The VAE's downsampling factor (8 for SD-1.x). */
  public int vaeFactor() {
    return 1 << (sd.vae().config().blockOutChannels().size() - 1);
  }

  /**
   * The DDIM schedule of VCT's stages B and C: the official code builds {@code
   * DDIMScheduler(0.00085, 0.012, scaled_linear, clip_sample=False, set_alpha_to_one=False)} and
   * diffusers' pipeline rewrites its steps_offset to 1, whatever the model folder says.
   */
  public static DdimSchedule vctSchedule(int steps) {
    return new DdimScheduler(DdimSchedulerConfig.stableDiffusion()).setTimesteps(steps);
  }

  /** The training noise schedule of stage A (the model's own scheduler config, as DDPM uses it). */
  public DdimScheduler trainingSchedule() {
    return new DdimScheduler(sd.schedulerConfig());
  }

  /** Content inversion's inner-step loss, compiled on first use; closed with the weights. */
  synchronized NullTextLoss nullTextLoss() {
    if (nullTextLoss == null) {
      nullTextLoss = new NullTextLoss(manager());
    }
    return nullTextLoss;
  }

  /** Attention without edits: sliced where a call would exceed the memory limit. */
  public AttentionProcessor plainAttention() {
    return plainAttention;
  }

  /** The same processor in every attention layer. */
  Map<String, AttentionProcessor> everywhere(AttentionProcessor processor) {
    return perLayer(path -> processor);
  }

  /** A processor per layer, chosen from the layer's module path. */
  Map<String, AttentionProcessor> perLayer(Function<String, AttentionProcessor> choose) {
    Map<String, AttentionProcessor> map = new LinkedHashMap<>();
    unet().attentionProcessors().keySet().forEach(path -> map.put(path, choose.apply(path)));
    return map;
  }

  /** UNet noise prediction with {@code processors} installed for this call only. */
  NDArray predictNoise(
      NDArray sample,
      long timestep,
      NDArray context,
      AttentionContext attentionContext,
      Map<String, AttentionProcessor> processors) {
    return withProcessors(
        processors, unet -> unet.forward(sample, timestep, context, attentionContext));
  }

  /**
   * {@link #predictNoise(NDArray, long, NDArray, AttentionContext, Map)} with one timestep each.
   */
  NDArray predictNoise(
      NDArray sample,
      NDArray timesteps,
      NDArray context,
      AttentionContext attentionContext,
      Map<String, AttentionProcessor> processors) {
    return withProcessors(
        processors, unet -> unet.forward(sample, timesteps, context, attentionContext));
  }

  /**
   * Runs {@code forward} on the UNet with {@code processors} installed. Calls are serialised per
   * model because processors are per-layer state of the shared UNet.
   */
  private NDArray withProcessors(
      Map<String, AttentionProcessor> processors, Function<UNet2DConditionModel, NDArray> forward) {
    UNet2DConditionModel unet = unet();
    synchronized (unet) {
      unet.setAttentionProcessors(processors);
      return forward.apply(unet);
    }
  }

  /** CLIP's last hidden state (1, 77, hidden) of one prompt's ids; extra rows for placeholders. */
  NDArray encodeText(NDManager m, long[] ids, NDArray extraRows) {
    NDArray idArray = Tensors.longs(m, ids, 1, ids.length);
    return extraRows == null
        ? sd.textEncoder().forward(idArray).lastHiddenState()
        : sd.textEncoder().forward(idArray, extraRows).lastHiddenState();
  }

  @Override
  public void close() {
    sd.close();
  }
}
