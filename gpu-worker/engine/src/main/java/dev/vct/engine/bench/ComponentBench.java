package dev.vct.engine.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.vct.engine.model.EngineThreads;
import dev.vct.engine.model.RandomWeights;
import dev.vct.engine.model.Sd1Architecture;
import dev.vct.engine.nn.SlicedAttentionProcessor;
import dev.vct.engine.tensor.StateDict;
import dev.vct.engine.text.ClipTextConfig;
import dev.vct.engine.text.ClipTextModel;
import dev.vct.engine.unet.UNet2DConditionModel;
import dev.vct.engine.unet.UNetConfig;
import dev.vct.engine.vae.AutoencoderKL;
import dev.vct.engine.vae.VaeConfig;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Forward and forward+backward timings of the SD-1.x networks with random weights, as VCT uses
 * them: gradients flow to the inputs (text embeddings, latents), never to the weights.
 */
public final class ComponentBench {

  private final Sd1Architecture arch;
  private final int batch;
  private final int latentSize;
  private final int iterations;
  private final boolean backward;
  private final long maxAttentionScores;
  private final PrintStream log;

  /**
   * @param batch batch size (VCT's content inversion and fusion run the UNet at batch 2 and 4)
   * @param latentSize latent side (64 for 512 px images)
   * @param iterations timed iterations per phase, after one warm-up
   * @param backward whether to time the backward phases too (they need several times the memory of
   *     a forward pass at SD-1.5 size)
   * @param maxAttentionScores the UNet's attention is sliced over the queries so that no call holds
   *     more scores than this at once ({@link SlicedAttentionProcessor}), as the VCT stages run it
   */
  public ComponentBench(
      Sd1Architecture arch,
      int batch,
      int latentSize,
      int iterations,
      boolean backward,
      long maxAttentionScores,
      PrintStream log) {
    if (batch < 1 || latentSize < 8 || latentSize % 8 != 0 || iterations < 1) {
      throw new IllegalArgumentException(
          "need batch >= 1, a latent size that is a multiple of 8 and iterations >= 1, got batch="
              + batch
              + " latent="
              + latentSize
              + " iterations="
              + iterations);
    }
    this.arch = arch;
    this.batch = batch;
    this.latentSize = latentSize;
    this.iterations = iterations;
    this.backward = backward;
    this.maxAttentionScores = maxAttentionScores;
    this.log = log;
  }

  /** One UNet call of this benchmark, which the process's thread count is chosen from. */
  public EngineThreads.Workload unetWorkload() {
    long weights =
        UNet2DConditionModel.expectedWeightShapes(UNetConfig.fromJson(arch.unetConfig()))
            .values()
            .stream()
            .mapToLong(Shape::size)
            .sum();
    return new EngineThreads.Workload(weights, (long) latentSize * latentSize, batch);
  }

  /** UNet noise prediction at timestep 500; backward to the text-encoder hidden states. */
  public List<Measurement> unet() {
    try (NDManager manager = NDManager.newBaseManager();
        StateDict weights =
            StateDict.of(new RandomWeights("random UNet weights", arch.unetLayout()))) {
      long start = System.nanoTime();
      try (UNet2DConditionModel unet =
          UNet2DConditionModel.create(UNetConfig.fromJson(arch.unetConfig()), weights, manager)) {
        logLoad("unet", start);
        unet.setAttentionProcessor(new SlicedAttentionProcessor(maxAttentionScores));
        Shape latents = new Shape(batch, Sd1Architecture.LATENT_CHANNELS, latentSize, latentSize);
        Shape context = new Shape(batch, Sd1Architecture.MAX_POSITIONS, arch.textHidden());
        List<Measurement> out = new ArrayList<>();
        out.add(
            measure(
                "forward",
                manager,
                m ->
                    unet.forward(
                            m.randomNormal(latents),
                            m.create(new long[] {500}),
                            m.randomNormal(context))
                        .toFloatArray()));
        if (!backward) {
          return out;
        }
        out.add(
            measure(
                "forward+backward",
                manager,
                m ->
                    backwardTo(
                        m.randomNormal(context),
                        hidden ->
                            unet.forward(
                                m.randomNormal(latents), m.create(new long[] {500}), hidden))));
        return out;
      }
    }
  }

  /**
   * CLIP text encoder on 77-token prompts; backward to the input token embeddings (the placeholder
   * rows VCT's concept inversion trains).
   */
  public List<Measurement> textEncoder() {
    try (NDManager manager = NDManager.newBaseManager();
        StateDict weights =
            StateDict.of(
                new RandomWeights("random text encoder weights", arch.textEncoderLayout()))) {
      long start = System.nanoTime();
      try (ClipTextModel clip =
          ClipTextModel.load(ClipTextConfig.fromJson(arch.textEncoderConfig()), weights, manager)) {
        logLoad("text encoder", start);
        Shape ids = new Shape(batch, Sd1Architecture.MAX_POSITIONS);
        List<Measurement> out = new ArrayList<>();
        out.add(
            measure(
                "forward",
                manager,
                m -> clip.forward(randomIds(m, ids)).lastHiddenState().toFloatArray()));
        if (!backward) {
          return out;
        }
        out.add(
            measure(
                "forward+backward",
                manager,
                m -> backwardTo(clip.embed(randomIds(m, ids)), clip::forwardEmbeddings)));
        return out;
      }
    }
  }

  /**
   * Backward of the mean square of {@code forward(input)} to {@code input}, reading the gradient
   * back so that the measurement waits for it.
   */
  private static void backwardTo(NDArray input, UnaryOperator<NDArray> forward) {
    input.setRequiresGradient(true);
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(forward.apply(input).square().mean());
    }
    input.getGradient().toFloatArray();
  }

  private NDArray randomIds(NDManager m, Shape shape) {
    return m.randomInteger(0, arch.vocabSize(), shape, ai.djl.ndarray.types.DataType.INT64);
  }

  /** VAE encode of images and decode of latents; backward of the decoder to the latents. */
  public List<Measurement> vae() {
    try (NDManager manager = NDManager.newBaseManager();
        StateDict weights =
            StateDict.of(new RandomWeights("random VAE weights", arch.vaeLayout()))) {
      long start = System.nanoTime();
      try (AutoencoderKL vae =
          AutoencoderKL.create(VaeConfig.fromJson(arch.vaeConfig()), weights, manager)) {
        logLoad("vae", start);
        Shape images = new Shape(batch, 3, 8L * latentSize, 8L * latentSize);
        Shape latents = new Shape(batch, Sd1Architecture.LATENT_CHANNELS, latentSize, latentSize);
        List<Measurement> out = new ArrayList<>();
        out.add(
            measure(
                "encode",
                manager,
                m -> vae.encode(m.randomUniform(-1, 1, images)).mean().toFloatArray()));
        out.add(
            measure("decode", manager, m -> vae.decode(m.randomNormal(latents)).toFloatArray()));
        if (!backward) {
          return out;
        }
        out.add(
            measure(
                "decode+backward", manager, m -> backwardTo(m.randomNormal(latents), vae::decode)));
        return out;
      }
    }
  }

  private void logLoad(String component, long startNanos) {
    log.printf(
        Locale.ROOT,
        "%s: built with random weights in %.1f s, RSS %.2f GiB%n",
        component,
        (System.nanoTime() - startNanos) / 1e9,
        ProcessMemory.residentBytes() / (double) (1L << 30));
    log.flush();
  }

  /** One warm-up, then the timed iterations; each iteration's arrays are freed after it. */
  private Measurement measure(String phase, NDManager parent, Consumer<NDManager> body) {
    ProcessMemory.resetPeak();
    double[] millis = new double[iterations];
    for (int i = -1; i < iterations; i++) {
      try (NDManager step = parent.newSubManager()) {
        long t0 = System.nanoTime();
        body.accept(step);
        if (i >= 0) {
          millis[i] = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    Measurement m = new Measurement(phase, millis, ProcessMemory.peakBytes());
    log.println(m.line());
    log.flush();
    return m;
  }
}
