package dev.vct.engine.vct;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.AttentionProcessor;
import dev.vct.engine.scheduler.DdimScheduler;
import dev.vct.engine.tokenizer.ClipTokenizer;
import dev.vct.engine.vae.LatentDistribution;
import java.util.Arrays;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Stage A: learns the K token embeddings of a concept placeholder from one reference image (textual
 * inversion as the official {@code main.multi_concept_inversion} runs it).
 *
 * <p>Micro-step m: x = reference (mirrored when drawn), z0 = (μ + σ ε_post) · 0.18215, z_t = √ᾱ_t
 * z0 + √(1−ᾱ_t) ε, ε̂ = UNet(z_t, t, CLIP(ids; rows)); loss = mean((ε̂ − ε)²) + λ mean|ẑ0 − z0|
 * with ẑ0 = (z_t − √(1−ᾱ_t) ε̂)/√ᾱ_t. Gradients of loss / accumulation reach only the K rows and
 * are summed over the accumulation window; then one AdamW step. A stage step is one optimizer step.
 *
 * <p>Faster than the reference where the result is the same: the micro-steps of a window run as one
 * batch (one text-encoder and one UNet pass per optimizer step, or per chunk of {@link
 * #batchSize()}), the VAE posterior of the reference and of its mirror image is computed once (the
 * encoder is deterministic), the UNet and text encoder weights carry no gradients, and the
 * optimizer touches K rows instead of the whole table.
 */
public final class ConceptInversion implements ResumableStage<ConceptEmbedding> {

  public static final String NAME = "concept-inversion";

  /** What a parity run observes of each micro-step. */
  interface MicroStepObserver {
    void microStep(
        int microStep,
        float loss,
        float[] rowsBefore,
        float[] posteriorSample,
        float[] noisyLatents,
        float[] modelPred);
  }

  private final VctModels models;
  private final ConceptInversionParams params;
  private final float[] reference; // (1, 3, R, R) in [-1, 1]
  private final long[] ids; // (77) prompt = the placeholder alone
  private final ConceptDraws draws;
  private final StageRandom random; // null when draws are injected
  private final DdimScheduler noiseSchedule;
  private final int hidden;
  private final float[] rows; // (K, hidden), trained
  private final Adam adam;
  private int completedSteps;
  private double lastLoss = Double.NaN;
  private MicroStepObserver observer;
  private UnaryOperator<AttentionProcessor> decorator = UnaryOperator.identity();
  private LatentDistributionCache posterior; // posterior of the reference, [plain, mirrored]
  private int batchSize;

  private ConceptInversion(
      VctModels models,
      ConceptInversionParams params,
      float[] reference,
      ConceptDraws injected,
      StageRandom random,
      float[] rows,
      Adam adam,
      int completedSteps) {
    this.models = models;
    this.params = params;
    this.reference = reference.clone();
    this.hidden = models.textHidden();
    int r = params.resolution();
    if (reference.length != 3 * r * r) {
      throw new IllegalArgumentException(
          "the reference must be a 3 x "
              + r
              + " x "
              + r
              + " image (resize it to the stage's resolution first), got "
              + reference.length
              + " values");
    }
    ClipTokenizer tokenizer = placeholderTokenizer(models, params);
    this.ids = tokenizer.encode(params.placeholder()).ids();
    this.noiseSchedule = models.trainingSchedule();
    this.random = injected == null ? random : null;
    this.draws =
        injected != null
            ? injected
            : ConceptDraws.seeded(
                random, params.flipProbability(), noiseSchedule.config().numTrainTimesteps());
    this.rows = rows;
    this.adam = adam;
    this.completedSteps = completedSteps;
    this.batchSize = params.defaultBatch();
  }

  /** Starts from the initializer word's embeddings, drawing from the params' seed. */
  public static ConceptInversion start(
      VctModels models, ConceptInversionParams params, float[] reference) {
    return start(models, params, reference, null);
  }

  /** Starts with injected draws (parity), or the seeded generator when {@code draws} is null. */
  public static ConceptInversion start(
      VctModels models, ConceptInversionParams params, float[] reference, ConceptDraws draws) {
    float[] rows = initialRows(models, params);
    return new ConceptInversion(
        models,
        params,
        reference,
        draws,
        new StageRandom(params.seed()),
        rows,
        new Adam(adamSettings(params), rows.length),
        0);
  }

  /** Continues from {@code checkpoint}, which must come from the same params and reference. */
  public static ConceptInversion resume(
      VctModels models,
      ConceptInversionParams params,
      float[] reference,
      ConceptDraws draws,
      StageCheckpoint checkpoint) {
    checkpoint.requireStage(NAME, describe(params));
    requireSameInput(checkpoint, reference);
    int steps = (int) checkpoint.longValue("completed_steps");
    if (steps < 0 || steps > params.steps()) {
      throw new IllegalArgumentException(
          "checkpoint has " + steps + " completed steps of " + params.steps());
    }
    Adam adam =
        new Adam(
            adamSettings(params),
            checkpoint.floats("adam_exp_avg"),
            checkpoint.floats("adam_exp_avg_sq"),
            (int) checkpoint.longValue("adam_step"));
    StageRandom random = StageRandom.restore(params.seed(), checkpoint.longValue("random_counter"));
    return new ConceptInversion(
        models, params, reference, draws, random, checkpoint.floats("rows"), adam, steps);
  }

  public static ConceptInversion resume(
      VctModels models,
      ConceptInversionParams params,
      float[] reference,
      StageCheckpoint checkpoint) {
    return resume(models, params, reference, null, checkpoint);
  }

  /** The tokenizer extended with the params' placeholder; its ids must follow the vocabulary. */
  static ClipTokenizer placeholderTokenizer(VctModels models, ConceptInversionParams params) {
    return placeholderTokenizer(models, params.placeholder(), params.tokens());
  }

  static ClipTokenizer placeholderTokenizer(VctModels models, String placeholder, int tokens) {
    ClipTokenizer base = models.tokenizer();
    int vocab = models.textEncoder().config().vocabSize();
    if (base.vocabSize() != vocab) {
      throw new IllegalArgumentException(
          "the tokenizer has "
              + base.vocabSize()
              + " tokens but the text encoder "
              + vocab
              + " embedding rows; placeholder ids would not line up");
    }
    return base.withPlaceholder(placeholder, tokens);
  }

  /** Row i = embedding of token ids[i * len(ids) / K] of the initializer word. */
  static float[] initialRows(VctModels models, ConceptInversionParams params) {
    int[] wordIds = models.tokenizer().tokenIds(params.initializerWord());
    if (wordIds.length == 0) {
      throw new IllegalArgumentException(
          "the initializer word '" + params.initializerWord() + "' has no tokens");
    }
    int k = params.tokens();
    int hidden = models.textHidden();
    float[] rows = new float[k * hidden];
    try (NDManager m = models.manager().newSubManager()) {
      for (int i = 0; i < k; i++) {
        int id = wordIds[i * wordIds.length / k];
        float[] row = Tensors.values(models.textEncoder().tokenEmbedding().get(m, id));
        System.arraycopy(row, 0, rows, i * hidden, hidden);
      }
    }
    return rows;
  }

  private static Adam.Settings adamSettings(ConceptInversionParams p) {
    return new Adam.Settings(
        p.effectiveLearningRate(), p.beta1(), p.beta2(), p.adamEpsilon(), p.weightDecay(), true);
  }

  static String describe(ConceptInversionParams params) {
    return params.toString();
  }

  private static void requireSameInput(StageCheckpoint checkpoint, float[] input) {
    if (checkpoint.longValue("input_hash") != Arrays.hashCode(input)) {
      throw new IllegalArgumentException(
          "the checkpoint was made from another reference image; start afresh for this one");
    }
  }

  void observe(MicroStepObserver observer) {
    this.observer = observer;
  }

  /** The prompt ids (BOS, placeholder tokens, EOS, padding). */
  long[] promptIds() {
    return ids.clone();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int totalSteps() {
    return params.steps();
  }

  @Override
  public int completedSteps() {
    return completedSteps;
  }

  /** The loss of the last completed step (mean over its micro-steps), NaN before the first. */
  public double lastLoss() {
    return lastLoss;
  }

  /**
   * {@inheritDoc}
   *
   * <p>An optimizer step runs its accumulation window in chunks of {@link #batchSize()}
   * micro-steps, one UNet pass each (one pass per step by default). A stop inside an optimizer step
   * abandons the step: the rows and Adam change only once the whole window is done, and the
   * generator goes back to where the step began, so the abandoned step's draws are drawn again by
   * the resumed run.
   */
  @Override
  public int runUntil(int stepLimit, ProgressListener listener, Cancellation cancellation) {
    int limit = Math.min(stepLimit, totalSteps());
    Map<String, AttentionProcessor> processors =
        models.everywhere(decorator.apply(models.plainAttention()));
    while (completedSteps < limit) {
      long drawn = random == null ? 0 : random.counter();
      try {
        lastLoss = optimizerStep(processors, cancellation);
      } catch (StopBeforePass stop) {
        if (random != null) {
          random.rewind(drawn);
        }
        break;
      }
      completedSteps++;
      listener.stepCompleted(completedSteps, totalSteps(), lastLoss);
    }
    return completedSteps;
  }

  /** Wraps the plain attention processor in every layer (tests count UNet passes with a spy). */
  void decorate(UnaryOperator<AttentionProcessor> decorator) {
    this.decorator = decorator;
  }

  /**
   * Runs each accumulation window in chunks of at most {@code conceptBatch} micro-steps, one UNet
   * pass per chunk (default: {@link ConceptInversionParams#defaultBatch()}, the whole window up to
   * 256 px). The mathematics do not change, only the memory a pass needs (activations kept for
   * backward grow with the batch): gradients are summed over the chunks as over the micro-steps,
   * and results agree within float rounding across batch sizes. A run is bit-identical to another
   * (and to its resumed self) at the same batch size.
   *
   * @return this
   */
  public ConceptInversion batchSize(int conceptBatch) {
    if (conceptBatch < 1) {
      throw new IllegalArgumentException(
          "the concept batch must be >= 1 micro-step per UNet pass, got " + conceptBatch);
    }
    this.batchSize = Math.min(conceptBatch, params.gradientAccumulation());
    return this;
  }

  /** Micro-steps per UNet pass. */
  public int batchSize() {
    return batchSize;
  }

  /**
   * One accumulation window, then one AdamW step on the rows. The rows do not change inside the
   * window, so its micro-steps run batched (chunks of {@link #batchSize()}): per chunk the text
   * encoder once and the UNet once, each sample with its own flip, posterior noise, noise and
   * timestep, drawn in micro-step order. The loss of a chunk is the sum of its per-sample losses
   * divided by the accumulation, whose gradient is the sum of the sequential micro-steps' ones.
   */
  private double optimizerStep(
      Map<String, AttentionProcessor> processors, Cancellation cancellation) {
    int accumulation = params.gradientAccumulation();
    float[] gradient = null;
    double lossSum = 0;
    for (int j = 0; j < accumulation; j += batchSize) {
      StopBeforePass.check(cancellation);
      int first = completedSteps * accumulation + j;
      ChunkResult r = chunk(first, Math.min(batchSize, accumulation - j), processors);
      for (float loss : r.losses) {
        lossSum += loss;
      }
      if (gradient == null) {
        gradient = r.gradient;
      } else {
        for (int i = 0; i < gradient.length; i++) {
          gradient[i] += r.gradient[i]; // torch accumulates .grad in float32 the same way
        }
      }
    }
    adam.update(rows, gradient);
    return lossSum / accumulation;
  }

  private record ChunkResult(float[] losses, float[] gradient) {}

  /** Micro-steps {@code first .. first + n - 1} as one batch of n: one UNet pass and backward. */
  private ChunkResult chunk(int first, int n, Map<String, AttentionProcessor> processors) {
    int r = params.resolution();
    int f = models.vaeFactor();
    long[] batch = {n, models.latentChannels(), r / f, r / f};
    int latentSize = (int) (Tensors.size(batch) / n);
    float[] mean = new float[n * latentSize];
    float[] logvar = new float[n * latentSize];
    float[] std = new float[n * latentSize];
    float[] posteriorEps = new float[n * latentSize];
    float[] noiseValues = new float[n * latentSize];
    float[] signalValues = new float[n];
    float[] noiseScaleValues = new float[n];
    long[] timesteps = new long[n];
    for (int j = 0; j < n; j++) {
      ConceptDraws.MicroStep d = draws.draw(first + j, latentSize);
      if (d.posteriorEps().length != latentSize || d.noise().length != latentSize) {
        throw new IllegalArgumentException(
            "micro-step " + (first + j) + ": draws must have " + latentSize + " latent values");
      }
      float[][] dist = posterior(d.flip());
      int at = j * latentSize;
      System.arraycopy(dist[0], 0, mean, at, latentSize);
      System.arraycopy(dist[1], 0, logvar, at, latentSize);
      System.arraycopy(dist[2], 0, std, at, latentSize);
      System.arraycopy(d.posteriorEps(), 0, posteriorEps, at, latentSize);
      System.arraycopy(d.noise(), 0, noiseValues, at, latentSize);
      int t = d.timestep();
      float alpha = noiseSchedule.alphaCumprod(t); // also checks t's range
      // sqrt(alpha_t) and sqrt(1 - alpha_t) in float32, as the scheduler's addNoise has them
      signalValues[j] = (float) Math.sqrt(alpha);
      noiseScaleValues[j] = (float) Math.sqrt(1f - alpha);
      timesteps[j] = t;
    }
    float[] rowsBefore = observer == null ? null : rows.clone();
    try (NDManager m = models.manager().newSubManager()) {
      LatentDistribution dist =
          new LatentDistribution(
              Tensors.floats(m, mean, batch),
              Tensors.floats(m, logvar, batch),
              Tensors.floats(m, std, batch));
      NDArray posteriorSample = dist.sample(Tensors.floats(m, posteriorEps, batch));
      NDArray latents = posteriorSample.mul(Tensors.scalar(m, VctModels.LATENT_SCALE));
      NDArray noise = Tensors.floats(m, noiseValues, batch);
      NDArray signal = Tensors.floats(m, signalValues, n, 1, 1, 1);
      NDArray noiseScale = Tensors.floats(m, noiseScaleValues, n, 1, 1, 1);
      NDArray noisy = latents.mul(signal).add(noise.mul(noiseScale));
      NDArray t = Tensors.longs(m, timesteps, n);

      NDArray leaf = Tensors.floats(m, rows, params.tokens(), hidden);
      leaf.setRequiresGradient(true);
      float[] losses;
      NDArray pred;
      synchronized (Gradients.LOCK) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray context = models.encodeText(m, ids, leaf);
          NDArray contexts = n == 1 ? context : context.repeat(0, n);
          pred = models.predictNoise(noisy, t, contexts, AttentionContext.SINGLE_PASS, processors);
          NDArray total = perSampleMean(pred.sub(noise).square());
          if (params.useL1()) {
            NDArray original = noisy.sub(pred.mul(noiseScale)).div(signal);
            NDArray l1 = perSampleMean(original.sub(latents).abs());
            total = total.add(l1.mul(Tensors.scalar(m, (float) params.l1Weight())));
          }
          losses = Tensors.values(total.stopGradient());
          gc.backward(total.div(Tensors.scalar(m, params.gradientAccumulation())).sum());
        }
      }
      float[] gradient = Tensors.values(leaf.getGradient());
      if (observer != null) {
        float[] samples = Tensors.values(posteriorSample);
        float[] noisyValues = Tensors.values(noisy);
        float[] predValues = Tensors.values(pred.stopGradient());
        for (int j = 0; j < n; j++) {
          int from = j * latentSize;
          int to = from + latentSize;
          observer.microStep(
              first + j,
              losses[j],
              rowsBefore,
              Arrays.copyOfRange(samples, from, to),
              Arrays.copyOfRange(noisyValues, from, to),
              Arrays.copyOfRange(predValues, from, to));
        }
      }
      return new ChunkResult(losses, gradient);
    }
  }

  /** The mean over each sample's values: (n, ...) to (n). */
  private static NDArray perSampleMean(NDArray x) {
    return x.reshape(x.getShape().get(0), -1).mean(new int[] {1});
  }

  /** The VAE posterior (mean, logvar, std) of the reference or its mirror, computed once each. */
  private float[][] posterior(boolean flip) {
    if (posterior == null) {
      posterior = new LatentDistributionCache();
    }
    float[][] cached = posterior.get(flip);
    if (cached == null) {
      int r = params.resolution();
      float[] pixels = flip ? mirror(reference, r) : reference;
      try (NDManager m = models.manager().newSubManager()) {
        LatentDistribution dist = models.vae().encode(Tensors.floats(m, pixels, 1, 3, r, r));
        cached =
            new float[][] {
              Tensors.values(dist.mean()), Tensors.values(dist.logvar()), Tensors.values(dist.std())
            };
      }
      posterior.put(flip, cached);
    }
    return cached;
  }

  private static final class LatentDistributionCache {
    private float[][] plain;
    private float[][] mirrored;

    float[][] get(boolean flip) {
      return flip ? mirrored : plain;
    }

    void put(boolean flip, float[][] value) {
      if (flip) {
        mirrored = value;
      } else {
        plain = value;
      }
    }
  }

  /** A (1, 3, r, r) image mirrored left to right. */
  static float[] mirror(float[] image, int r) {
    float[] out = new float[image.length];
    for (int row = 0; row < 3 * r; row++) {
      int base = row * r;
      for (int x = 0; x < r; x++) {
        out[base + x] = image[base + r - 1 - x];
      }
    }
    return out;
  }

  @Override
  public StageCheckpoint checkpoint() {
    StageCheckpoint c =
        new StageCheckpoint(NAME)
            .putMetadata("parameters", describe(params))
            .putLongs("completed_steps", completedSteps)
            .putLongs("input_hash", Arrays.hashCode(reference))
            .putLongs("random_counter", random == null ? 0 : random.counter())
            .putLongs("adam_step", adam.step())
            .put("rows", rows, params.tokens(), hidden)
            .put("adam_exp_avg", adam.expAvg(), params.tokens(), hidden)
            .put("adam_exp_avg_sq", adam.expAvgSq(), params.tokens(), hidden);
    return c;
  }

  /** The current rows (K, hidden). */
  public float[] rows() {
    return rows.clone();
  }

  @Override
  public ConceptEmbedding result() {
    if (!isDone()) {
      throw new IllegalStateException(
          NAME + " has run " + completedSteps + " of " + totalSteps() + " steps");
    }
    return new ConceptEmbedding(params.placeholder(), params.tokens(), hidden, rows);
  }
}
