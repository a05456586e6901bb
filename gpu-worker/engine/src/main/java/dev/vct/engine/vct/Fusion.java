package dev.vct.engine.vct;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.AttentionProcessor;
import dev.vct.engine.scheduler.DdimSchedule;
import dev.vct.engine.tokenizer.ClipTokenizer;
import java.util.Arrays;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Stage C: dual-stream denoising from z*_N (official {@code Inversion.backward_diffusion_ptp} with
 * {@code make_controller}). Branch B* (content, prompt "") and branch B (main, the concept
 * placeholder) start from the same noise; each step runs one UNet call on the batch [z_B*, z_B,
 * z_B*, z_B] with contexts [v_i, v_i, CLIP(""), CLIP(concept)] under {@link AttentionInjection},
 * then ε = ε_u + g (ε_c − ε_u) and a DDIM step (eta 0) per branch. B* reproduces the content
 * inversion's path.
 */
public final class Fusion implements ResumableStage<FusionResult> {

  public static final String NAME = "fusion";

  private final VctModels models;
  private final FusionParams params;
  private final ContentEmbedding content;
  private final DdimSchedule schedule;
  private final int[] timesteps;
  private final long[] latentShape;
  private final float[] contentPrompt; // CLIP(""), (1, seq, hidden)
  private final float[] conceptPrompt; // CLIP(placeholder; learned rows), (1, seq, hidden)
  private final AttentionInjection injection;
  private final long inputHash;
  private UnaryOperator<AttentionProcessor> decorator = UnaryOperator.identity();
  private float[] contentLatent; // z_B*
  private float[] mainLatent; // z_B
  private int completedSteps;

  private Fusion(
      VctModels models,
      FusionParams params,
      ContentEmbedding content,
      ConceptEmbedding concept,
      AttentionInjection.Observer observer) {
    this.models = models;
    this.params = params;
    this.content = content;
    int n = content.steps();
    this.schedule = VctModels.vctSchedule(n);
    this.timesteps = schedule.timesteps();
    this.latentShape = content.latentShape();
    if (concept.hidden() != models.textHidden()) {
      throw new IllegalArgumentException(
          "the concept embedding has width "
              + concept.hidden()
              + " but this model's text encoder "
              + models.textHidden()
              + " (learned with another model?)");
    }
    ClipTokenizer tokenizer =
        ConceptInversion.placeholderTokenizer(models, concept.placeholder(), concept.tokens());
    long[] emptyIds = tokenizer.encode("").ids();
    long[] conceptIds = tokenizer.encode(concept.placeholder()).ids();
    try (NDManager m = models.manager().newSubManager()) {
      contentPrompt = Tensors.values(models.encodeText(m, emptyIds, null));
      NDArray rows = Tensors.floats(m, concept.rows(), concept.tokens(), concept.hidden());
      conceptPrompt = Tensors.values(models.encodeText(m, conceptIds, rows));
    }
    int[] placeholderIds = tokenizer.placeholderIds(concept.placeholder());
    int seq = ClipTokenizer.CONTEXT_LENGTH;
    this.injection =
        new AttentionInjection(
            models.plainAttention(),
            params.crossSteps(n),
            params.selfSteps(n),
            params.selfMaxQueries(),
            refinement(tokenizer, concept.placeholder()),
            equalizer(conceptIds, placeholderIds, params, seq),
            crossReplaceAlpha(params, n, seq),
            observer);
    this.inputHash = 31L * content.hashCode() + concept.hashCode();
  }

  /** Starts both branches at the content's z*_N. */
  public static Fusion start(
      VctModels models, FusionParams params, ContentEmbedding content, ConceptEmbedding concept) {
    return start(models, params, content, concept, null);
  }

  static Fusion start(
      VctModels models,
      FusionParams params,
      ContentEmbedding content,
      ConceptEmbedding concept,
      AttentionInjection.Observer observer) {
    Fusion f = new Fusion(models, params, content, concept, observer);
    f.contentLatent = content.noiseLatent();
    f.mainLatent = content.noiseLatent();
    return f;
  }

  public static Fusion resume(
      VctModels models,
      FusionParams params,
      ContentEmbedding content,
      ConceptEmbedding concept,
      StageCheckpoint checkpoint) {
    checkpoint.requireStage(NAME, params.toString());
    Fusion f = new Fusion(models, params, content, concept, null);
    if (checkpoint.longValue("input_hash") != f.inputHash) {
      throw new IllegalArgumentException(
          "the fusion checkpoint was made from other content or concept embeddings");
    }
    f.contentLatent = checkpoint.floats("content_latent");
    f.mainLatent = checkpoint.floats("main_latent");
    f.completedSteps = (int) checkpoint.longValue("completed_steps");
    return f;
  }

  /** The refinement of "" into the concept prompt (prompt-to-prompt's AttentionRefine). */
  static PromptAligner.Refinement refinement(ClipTokenizer tokenizer, String conceptPrompt) {
    return PromptAligner.refinement(
        unpadded(tokenizer, ""), unpadded(tokenizer, conceptPrompt), ClipTokenizer.CONTEXT_LENGTH);
  }

  private static int[] unpadded(ClipTokenizer tokenizer, String text) {
    int[] tokens = tokenizer.tokenIds(text);
    int[] ids = new int[tokens.length + 2];
    ids[0] = tokenizer.bosId();
    System.arraycopy(tokens, 0, ids, 1, tokens.length);
    ids[ids.length - 1] = tokenizer.eosId();
    return ids;
  }

  /**
   * 1 everywhere except the concept tokens' positions, which get the equalizer value. The official
   * {@code get_word_inds} counts positions without the start token, so by default the value lands
   * one position early.
   */
  static float[] equalizer(long[] promptIds, int[] placeholderIds, FusionParams params, int seq) {
    float[] eq = new float[seq];
    Arrays.fill(eq, 1f);
    int shift = params.fixEqualizer() ? 1 : 0;
    // promptIds[0] is the start token; word index w is position w + 1
    for (int w = 0; w + 1 < promptIds.length; w++) {
      long id = promptIds[w + 1];
      if (Arrays.stream(placeholderIds).anyMatch(p -> p == id)) {
        eq[w + shift] = (float) params.equalizerValue();
      }
    }
    return eq;
  }

  /** (N + 1, seq): row i is 1 for i < int(crossRatio · (N + 1)), else 0. */
  static float[][] crossReplaceAlpha(FusionParams params, int steps, int seq) {
    float[][] alpha = new float[steps + 1][seq];
    int end = (int) (params.crossRatio() * (steps + 1));
    for (int i = 0; i < Math.min(end, steps + 1); i++) {
      Arrays.fill(alpha[i], 1f);
    }
    return alpha;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int totalSteps() {
    return content.steps();
  }

  @Override
  public int completedSteps() {
    return completedSteps;
  }

  @Override
  public int runUntil(int stepLimit, ProgressListener listener, Cancellation cancellation) {
    int limit = Math.min(stepLimit, totalSteps());
    Map<String, AttentionProcessor> processors = models.everywhere(decorator.apply(injection));
    while (completedSteps < limit) {
      try {
        step(completedSteps, processors, cancellation);
      } catch (StopBeforePass stop) {
        break;
      }
      completedSteps++;
      listener.stepCompleted(completedSteps, totalSteps(), Double.NaN);
    }
    return completedSteps;
  }

  /** One denoising step: one UNet pass (asking the cancellation first), then both DDIM steps. */
  private void step(int i, Map<String, AttentionProcessor> processors, Cancellation cancellation) {
    StopBeforePass.check(cancellation);
    int t = timesteps[i];
    long seq = ClipTokenizer.CONTEXT_LENGTH;
    int hidden = models.textHidden();
    long[] pairShape = latentShape.clone();
    pairShape[0] = 2;
    try (NDManager m = models.manager().newSubManager()) {
      injection.beginStep(m, i);
      NDArray z =
          NDArrays.concat(
              new NDList(
                  Tensors.floats(m, contentLatent, latentShape),
                  Tensors.floats(m, mainLatent, latentShape)),
              0);
      NDArray v = Tensors.floats(m, content.embedding(i), 1, seq, hidden);
      NDArray context =
          NDArrays.concat(
              new NDList(
                  v,
                  v,
                  Tensors.floats(m, contentPrompt, 1, seq, hidden),
                  Tensors.floats(m, conceptPrompt, 1, seq, hidden)),
              0);
      NDArray eps =
          models.predictNoise(
              NDArrays.concat(new NDList(z, z), 0),
              t,
              context,
              new AttentionContext(i),
              processors);
      NDArray uncond = eps.get(new NDIndex(":2"));
      NDArray cond = eps.get(new NDIndex("2:"));
      NDArray guided = ContentInversion.guide(m, uncond, cond, params.guidance());
      NDArray next = schedule.step(guided, t, z).prevSample();
      contentLatent = Tensors.values(next.get(0).expandDims(0));
      mainLatent = Tensors.values(next.get(1).expandDims(0));
    } finally {
      injection.endStep();
    }
  }

  /** Wraps the injecting processor (tests install a spy around it). */
  void decorate(UnaryOperator<AttentionProcessor> decorator) {
    this.decorator = decorator;
  }

  /** Both branches' current latents, [B*, B]. */
  public float[][] latents() {
    return new float[][] {contentLatent.clone(), mainLatent.clone()};
  }

  @Override
  public StageCheckpoint checkpoint() {
    return new StageCheckpoint(NAME)
        .putMetadata("parameters", params.toString())
        .putLongs("completed_steps", completedSteps)
        .putLongs("input_hash", inputHash)
        .put("content_latent", contentLatent, latentShape)
        .put("main_latent", mainLatent, latentShape);
  }

  @Override
  public FusionResult result() {
    if (!isDone()) {
      throw new IllegalStateException(
          NAME + " has run " + completedSteps + " of " + totalSteps() + " steps");
    }
    return new FusionResult(latentShape, contentLatent, mainLatent);
  }
}
