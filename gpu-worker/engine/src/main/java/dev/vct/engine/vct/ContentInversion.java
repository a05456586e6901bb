package dev.vct.engine.vct;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.AttentionProcessor;
import dev.vct.engine.nn.Scoped;
import dev.vct.engine.scheduler.DdimSchedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Stage B: the source's content as DDIM-inverted noise plus one content (null-text) embedding per
 * timestep, as the official {@code pivot_turning_inversion.main} computes it. Steps 0..N-1 are the
 * DDIM inversion, steps N..2N-1 optimise the embedding of timestep index i = step − N.
 *
 * <p>DDIM inversion with guidance 1 and c∅ = CLIP(""): z*_0 = VAE mean · 0.18215; for t = τ_{N−1},
 * ..., τ_0 (ascending): z ← next_step(UNet(z, t, c∅), t, z).
 *
 * <p>Optimisation, from z̄ = z*_N and v = c∅ (warm-started across i): for i, t = τ_i: fresh Adam
 * (lr · (1 − i/100)); ε_c = UNet(z̄, t, c∅) once; up to innerSteps times: ε = ε_v + g (ε_c − ε_v),
 * loss = mse(prev_step(ε, t, z̄), z*_{N−1−i}), Adam step, stop once loss < ε_stop + i · 2e-5. Then
 * v_i = v and z̄ ← prev_step with guidance {@link ContentInversionParams#updateGuidance()}: 7.5 in
 * the official code whatever g is (and in the oracle fixtures); the worker and the CLI pass g, so
 * that fusion's content branch, which denoises with g, reproduces this path.
 *
 * <p>Faster than the reference with the same result: UNet weights carry no gradients (the reference
 * computes and discards them), and the VAE encodes once.
 */
public final class ContentInversion implements ResumableStage<ContentEmbedding> {

  public static final String NAME = "content-inversion";

  private final VctModels models;
  private final ContentInversionParams params;
  private final DdimSchedule schedule;
  private final int[] timesteps;
  private final long[] latentShape;
  private final int hidden;
  private final int seq;
  private final long inputHash;
  private final float[] nullText; // c∅ = CLIP(""), (1, seq, hidden)
  private final List<float[]> trajectory; // z*_0 .. z*_k
  private final List<float[]> embeddings; // v_0 .. v_{i-1}
  private final List<Float> innerLosses = new ArrayList<>();
  private final List<Integer> innerIterations = new ArrayList<>();
  private UnaryOperator<AttentionProcessor> decorator = UnaryOperator.identity();
  private float[] current; // z̄ during the optimisation
  private int completedSteps;
  private double lastLoss = Double.NaN;

  private ContentInversion(
      VctModels models,
      ContentInversionParams params,
      long[] latentShape,
      long inputHash,
      List<float[]> trajectory,
      int completedSteps) {
    this.models = models;
    this.params = params;
    this.schedule = VctModels.vctSchedule(params.steps());
    this.timesteps = schedule.timesteps();
    this.latentShape = latentShape.clone();
    this.hidden = models.textHidden();
    this.inputHash = inputHash;
    this.trajectory = new ArrayList<>(trajectory);
    this.embeddings = new ArrayList<>();
    this.completedSteps = completedSteps;
    long[] emptyPrompt = models.tokenizer().encode("").ids();
    this.seq = emptyPrompt.length;
    try (NDManager m = models.manager().newSubManager()) {
      this.nullText = Tensors.values(models.encodeText(m, emptyPrompt, null));
    }
  }

  /** Starts from the source image (1, 3, R, R) in [-1, 1]: encodes it, then inverts. */
  public static ContentInversion start(
      VctModels models, ContentInversionParams params, float[] source) {
    int r = params.resolution();
    if (source.length != 3 * r * r) {
      throw new IllegalArgumentException(
          "the source must be a 3 x "
              + r
              + " x "
              + r
              + " image (crop and resize it to the stage's resolution first), got "
              + source.length
              + " values");
    }
    int f = models.vaeFactor();
    long[] latentShape = {1, models.latentChannels(), r / f, r / f};
    float[] z0;
    try (NDManager m = models.manager().newSubManager()) {
      NDArray mean = models.vae().encode(Tensors.floats(m, source, 1, 3, r, r)).mean();
      z0 = Tensors.values(mean.mul(Tensors.scalar(m, VctModels.LATENT_SCALE)));
    }
    return new ContentInversion(
        models, params, latentShape, Arrays.hashCode(source), List.of(z0), 0);
  }

  /**
   * Starts the optimisation from a given DDIM inversion trajectory z*_0 .. z*_N (N + 1 latents of
   * {@code latentShape}): the first N steps count as done.
   */
  public static ContentInversion fromTrajectory(
      VctModels models, ContentInversionParams params, float[][] trajectory, long[] latentShape) {
    if (trajectory.length != params.steps() + 1) {
      throw new IllegalArgumentException(
          "a trajectory of "
              + (params.steps() + 1)
              + " latents is needed, got "
              + trajectory.length);
    }
    ContentInversion stage =
        new ContentInversion(
            models,
            params,
            latentShape,
            Arrays.deepHashCode(trajectory),
            List.of(trajectory),
            params.steps());
    stage.current = trajectory[params.steps()].clone();
    return stage;
  }

  /** Continues from a checkpoint of {@link #start} with the same source and params. */
  public static ContentInversion resume(
      VctModels models, ContentInversionParams params, float[] source, StageCheckpoint checkpoint) {
    return resume(models, params, checkpoint, sourceHash(source));
  }

  /** Continues from a checkpoint of the same input and params ({@link #sourceHash}, ...). */
  static ContentInversion resume(
      VctModels models, ContentInversionParams params, StageCheckpoint checkpoint, long inputHash) {
    checkpoint.requireStage(NAME, params.toString());
    if (checkpoint.longValue("input_hash") != inputHash) {
      throw new IllegalArgumentException(
          "the checkpoint was made from another source image; start afresh for this one");
    }
    long[] latentShape = checkpoint.longs("latent_shape");
    int latentSize = (int) Tensors.size(latentShape);
    List<float[]> trajectory = split(checkpoint.floats("trajectory"), latentSize);
    int steps = (int) checkpoint.longValue("completed_steps");
    ContentInversion stage =
        new ContentInversion(models, params, latentShape, inputHash, trajectory, steps);
    if (checkpoint.has("embeddings")) {
      stage.embeddings.addAll(split(checkpoint.floats("embeddings"), stage.seq * stage.hidden));
    }
    if (checkpoint.has("current")) {
      stage.current = checkpoint.floats("current");
    }
    for (float loss : checkpoint.floats("inner_losses")) {
      stage.innerLosses.add(loss);
    }
    for (long n : checkpoint.longs("inner_iterations")) {
      stage.innerIterations.add((int) n);
    }
    return stage;
  }

  /** The hash that identifies the input of {@link #start} in checkpoints. */
  static long sourceHash(float[] source) {
    return Arrays.hashCode(source);
  }

  /** The hash that identifies the input of {@link #fromTrajectory} in checkpoints. */
  static long trajectoryHash(float[][] trajectory) {
    return Arrays.deepHashCode(trajectory);
  }

  private static List<float[]> split(float[] flat, int size) {
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < flat.length; i += size) {
      out.add(Arrays.copyOfRange(flat, i, i + size));
    }
    return out;
  }

  private static float[] concat(List<float[]> parts) {
    int size = parts.isEmpty() ? 0 : parts.get(0).length;
    float[] out = new float[parts.size() * size];
    for (int i = 0; i < parts.size(); i++) {
      System.arraycopy(parts.get(i), 0, out, i * size, size);
    }
    return out;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int totalSteps() {
    return 2 * params.steps();
  }

  @Override
  public int completedSteps() {
    return completedSteps;
  }

  /**
   * {@inheritDoc}
   *
   * <p>A stop inside an optimised timestep (up to {@code innerSteps + 2} passes) abandons that
   * timestep: its inner losses, embedding and latent update are kept only once it completes, so the
   * stage's state, its checkpoint and a resumed run are those of the last completed timestep.
   */
  @Override
  public int runUntil(int stepLimit, ProgressListener listener, Cancellation cancellation) {
    int limit = Math.min(stepLimit, totalSteps());
    Map<String, AttentionProcessor> processors =
        models.everywhere(decorator.apply(models.plainAttention()));
    Unet unet = (sample, t, context) -> unetPass(sample, t, context, processors, cancellation);
    try {
      while (completedSteps < limit) {
        if (completedSteps < params.steps()) {
          inversionStep(completedSteps, unet);
          lastLoss = Double.NaN;
        } else {
          lastLoss = optimisationStep(completedSteps - params.steps(), unet);
        }
        completedSteps++;
        listener.stepCompleted(completedSteps, totalSteps(), lastLoss);
      }
    } catch (StopBeforePass stop) {
      // the step in progress changed nothing yet; a resumed run redoes it
    }
    return completedSteps;
  }

  /** One UNet pass of this run: asks the cancellation first. */
  @FunctionalInterface
  private interface Unet {
    NDArray predict(NDArray sample, int timestep, NDArray context);
  }

  private NDArray unetPass(
      NDArray sample,
      int timestep,
      NDArray context,
      Map<String, AttentionProcessor> processors,
      Cancellation cancellation) {
    StopBeforePass.check(cancellation);
    return models.predictNoise(sample, timestep, context, AttentionContext.SINGLE_PASS, processors);
  }

  /** Wraps the plain attention processor in every layer (tests count UNet passes with a spy). */
  void decorate(UnaryOperator<AttentionProcessor> decorator) {
    this.decorator = decorator;
  }

  /** DDIM inversion step k: from z*_k at τ_{N−k} (or the clean latent) up to τ_{N−1−k}. */
  private void inversionStep(int k, Unet unet) {
    int t = timesteps[params.steps() - 1 - k];
    try (NDManager m = models.manager().newSubManager()) {
      NDArray z = Tensors.floats(m, trajectory.get(k), latentShape);
      NDArray eps = unet.predict(z, t, nullText(m));
      trajectory.add(Tensors.values(schedule.nextStep(eps, t, z)));
    }
    if (k == params.steps() - 1) {
      current = trajectory.get(params.steps()).clone();
    }
  }

  private NDArray nullText(NDManager m) {
    return Tensors.floats(m, nullText, 1, seq, hidden);
  }

  /**
   * Optimises v_i, then advances z̄ one DDIM step. Returns the last inner loss. Changes the stage's
   * state only after its last UNet pass, so a stop before any of them leaves it untouched.
   */
  private float optimisationStep(int i, Unet unet) {
    int n = params.steps();
    int t = timesteps[i];
    float[] target = trajectory.get(n - 1 - i);
    float[] v = embeddings.isEmpty() ? nullText.clone() : embeddings.get(i - 1).clone();
    Adam adam = new Adam(Adam.Settings.adam(params.learningRateAt(i)), v.length);
    double threshold = params.earlyStopThreshold(i);
    float loss = Float.NaN;
    List<Float> losses = new ArrayList<>();
    float[] next;
    // What every inner step reads is made once per timestep and stays on the device: the latent,
    // ε_c (which the latent update reads too), the target latent and the guidance scale.
    try (NDManager timestep = models.manager().newSubManager()) {
      NDArray x = latent(timestep, current);
      NDArray empty = nullText(timestep);
      // only ε_c outlives the pass: its intermediates are freed before the inner steps run
      NDArray epsCond = Scoped.call(() -> unet.predict(x, t, empty));
      NDArray targetLatent = latent(timestep, target);
      NullTextLoss.Step step = NullTextLoss.Step.of(timestep, schedule, t, params.guidance());
      for (int j = 0; j < params.innerSteps(); j++) {
        float[] gradient;
        // The scope frees the step's arrays, whichever manager their inputs belong to.
        try (NDManager m = timestep.newSubManager();
            NDScope scope = new NDScope()) {
          NDArray leaf = Tensors.floats(m, v, 1, seq, hidden);
          leaf.setRequiresGradient(true);
          synchronized (Gradients.LOCK) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
              NDArray epsUncond = unet.predict(x, t, leaf);
              NDArray mse = models.nullTextLoss().loss(epsUncond, epsCond, x, targetLatent, step);
              loss = mse.getFloat(); // the official early stop reads every step's loss
              gc.backward(mse);
            }
          }
          gradient = Tensors.values(leaf.getGradient());
        }
        adam.update(v, gradient);
        losses.add(loss);
        if (loss < threshold) {
          break;
        }
      }
      next = advance(timestep, x, epsCond, t, v, unet);
    }
    innerLosses.addAll(losses);
    innerIterations.add(losses.size());
    embeddings.add(v);
    current = next;
    return loss;
  }

  /**
   * z̄ ← prev_step(ε_u + g (ε_c − ε_u)) with ε_u = UNet(z̄, t, v_i), one pass at batch 1. ε_c is
   * the pass the timestep began with: the same latent, timestep and empty-prompt embedding, so the
   * official code's second evaluation of it (the cond half of its batch-2 call) only repeats it, up
   * to the rounding of the batch size. Fusion's content branch (rows 0 and 2 of its batch-4 call)
   * follows this path to that rounding, not bit for bit (FusionTest).
   */
  private float[] advance(
      NDManager timestep, NDArray x, NDArray epsCond, int t, float[] v, Unet unet) {
    try (NDManager m = timestep.newSubManager();
        NDScope scope = new NDScope()) {
      NDArray embedding = Tensors.floats(m, v, 1, seq, hidden);
      NDArray uncond = unet.predict(x, t, embedding);
      return Tensors.values(
          schedule.prevStep(guide(m, uncond, epsCond, params.updateGuidance()), t, x));
    }
  }

  /** ε_u + g (ε_c − ε_u), as the official code writes it. */
  static NDArray guide(NDManager m, NDArray uncond, NDArray cond, double guidance) {
    return guide(uncond, cond, Tensors.scalar(m, (float) guidance));
  }

  /** {@link #guide(NDManager, NDArray, NDArray, double)} with the scale as a 0-d array. */
  static NDArray guide(NDArray uncond, NDArray cond, NDArray guidance) {
    return uncond.add(cond.sub(uncond).mul(guidance));
  }

  private NDArray latent(NDManager m, float[] values) {
    return Tensors.floats(m, values, latentShape);
  }

  /** z*_0 .. z*_k computed so far (z*_0 = the source latent). */
  public float[][] trajectory() {
    return trajectory.stream().map(float[]::clone).toArray(float[][]::new);
  }

  /** The loss of every inner step so far, in order (before the step's Adam update). */
  public float[] innerLosses() {
    float[] out = new float[innerLosses.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = innerLosses.get(i);
    }
    return out;
  }

  /** Inner steps run at each optimised timestep. */
  public int[] innerIterations() {
    return innerIterations.stream().mapToInt(Integer::intValue).toArray();
  }

  public int[] timesteps() {
    return timesteps.clone();
  }

  public long[] latentShape() {
    return latentShape.clone();
  }

  @Override
  public StageCheckpoint checkpoint() {
    StageCheckpoint c =
        new StageCheckpoint(NAME)
            .putMetadata("parameters", params.toString())
            .putLongs("completed_steps", completedSteps)
            .putLongs("input_hash", inputHash)
            .putLongs("latent_shape", latentShape)
            .put("trajectory", concat(trajectory), trajectory.size(), Tensors.size(latentShape))
            .put("inner_losses", innerLosses(), innerLosses.size())
            .putLongs(
                "inner_iterations",
                innerIterations.stream().mapToLong(Integer::longValue).toArray());
    if (!embeddings.isEmpty()) {
      c.put("embeddings", concat(embeddings), embeddings.size(), seq, hidden);
    }
    if (current != null) {
      c.put("current", current, latentShape);
    }
    return c;
  }

  @Override
  public ContentEmbedding result() {
    if (!isDone()) {
      throw new IllegalStateException(
          NAME + " has run " + completedSteps + " of " + totalSteps() + " steps");
    }
    return new ContentEmbedding(
        params.steps(),
        seq,
        hidden,
        concat(embeddings),
        latentShape,
        trajectory.get(params.steps()),
        current);
  }
}
