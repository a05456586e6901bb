package dev.vct.engine.vct;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.nn.AttentionCall;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.AttentionProcessor;
import dev.vct.engine.nn.DefaultAttentionProcessor;
import dev.vct.engine.nn.ScriptWriter;
import dev.vct.engine.nn.ScriptableAttentionProcessor;
import dev.vct.engine.nn.ScriptedAttention;
import dev.vct.engine.nn.ScriptedAttentionCall;
import dev.vct.engine.nn.SlicedAttentionProcessor;
import java.util.Arrays;
import java.util.List;

/**
 * VCT's attention control during fusion (prompt-to-prompt's AttentionReweight wrapping
 * AttentionRefine), as an attention processor installed in every layer. The UNet batch is [u_B*,
 * u_B, c_B*, c_B]: content and main branch, unconditional then conditional. Only the conditional
 * half is edited, and only the main branch's row of it:
 *
 * <ul>
 *   <li>cross-attention, steps i &lt; crossSteps: A_B ← α_t · eq ⊙ (α ⊙ A_B*[:, :, m] + (1 − α) ⊙
 *       A_B) + (1 − α_t) A_B (no renormalisation), m and α from {@link PromptAligner};
 *   <li>self-attention, steps i &lt; selfSteps, layers with at most selfMaxQueries queries: A_B ←
 *       A_B* (values stay the main branch's own).
 * </ul>
 *
 * Every other call computes plain attention (sliced where memory needs it).
 *
 * <p>The UNet runs a step with the injection as one TorchScript call ({@link #scripted}): the
 * script writes the same operators as {@link #attend}, with the step's cross-attention tables as
 * inputs of the call and the self-attention layers chosen by their query count inside the script.
 * {@link #attend} stays the reference (and runs where the script cannot: with an observer, which is
 * told of each layer's edit, or where plain attention would slice).
 */
final class AttentionInjection implements ScriptableAttentionProcessor {

  /** Told about every edit (for tests and tracing). */
  interface Observer {
    void edited(String layer, int step, boolean cross);
  }

  static final int BATCH = 4; // [u_B*, u_B, c_B*, c_B]
  private static final int BASE = 2; // c_B*
  private static final int EDITED = 3; // c_B

  private final AttentionProcessor plain;
  private final int crossSteps;
  private final int selfSteps;
  private final int selfMaxQueries;
  private final long[] mapper; // (77), −1 read as the last position, like torch
  private final float[] refineAlphas; // (77)
  private final float[] equalizer; // (77)
  private final float[][] crossAlpha; // (N + 1, 77)
  private final Observer observer;
  private volatile StepTables tables;

  AttentionInjection(
      AttentionProcessor plain,
      int crossSteps,
      int selfSteps,
      int selfMaxQueries,
      PromptAligner.Refinement refinement,
      float[] equalizer,
      float[][] crossAlpha,
      Observer observer) {
    this.plain = plain;
    this.crossSteps = crossSteps;
    this.selfSteps = selfSteps;
    this.selfMaxQueries = selfMaxQueries;
    int keys = refinement.mapper().length;
    this.mapper = Arrays.stream(refinement.mapper()).map(k -> k < 0 ? k + keys : k).toArray();
    this.refineAlphas = refinement.alphas().clone();
    this.equalizer = equalizer.clone();
    this.crossAlpha = crossAlpha;
    this.observer = observer;
  }

  boolean editsCross(int step) {
    return step < crossSteps;
  }

  boolean editsSelf(int step, long queries) {
    return step < selfSteps && queries <= selfMaxQueries;
  }

  @Override
  public NDArray attend(AttentionCall call) {
    int step = call.context().step();
    boolean cross = call.cross();
    boolean edit = cross ? editsCross(step) : editsSelf(step, call.queries());
    if (!edit) {
      return plain.attend(call);
    }
    if (call.batch() != BATCH) {
      throw new IllegalStateException(
          "fusion attention expects a batch of 4 [u_B*, u_B, c_B*, c_B], got " + call.batch());
    }
    long heads = call.heads();
    NDArray probabilities = call.probabilities().reshape(BATCH, heads, call.queries(), call.keys());
    NDArray base = probabilities.get(BASE);
    NDArray own = probabilities.get(EDITED);
    NDArray replaced = cross ? refineAndReweight(base, own, step) : base;
    NDArray edited =
        NDArrays.concat(
            new NDList(probabilities.get(new NDIndex(":{}", EDITED)), replaced.expandDims(0)), 0);
    if (observer != null) {
      observer.edited(call.path(), step, cross);
    }
    return call.weightedValues(edited.reshape(BATCH * heads, call.queries(), call.keys()));
  }

  /**
   * The script of a model call at {@code context}'s step: plain attention where the step edits
   * nothing, else {@link Script}, one script for every editing step. Null, so that the call runs in
   * Java, with an observer, where the batch is not fusion's or where plain attention would slice.
   */
  @Override
  public ScriptedAttention scripted(AttentionContext context, long batch, long scoreElements) {
    boolean unsliced =
        plain == DefaultAttentionProcessor.INSTANCE
            || (plain instanceof SlicedAttentionProcessor sliced
                && sliced.slicesNothing(scoreElements));
    if (observer != null || !unsliced) {
      return null;
    }
    int step = context.step();
    if (!editsCross(step) && step >= selfSteps) {
      return ScriptedAttention.PLAIN;
    }
    return batch == BATCH ? new Script(step) : null;
  }

  /**
   * The edits of {@link #attend} in a script, with the same operators. Which edits a step makes is
   * an input of the call (0-d: whether to edit cross-attention; the most queries of a
   * self-attention layer to edit, 0 for none), so that every editing step of every fusion runs the
   * same compiled script. A conditional runs only the branch taken.
   */
  private final class Script implements ScriptedAttention {
    private static final List<String> INPUTS =
        List.of(
            "injection_cross",
            "injection_self_queries",
            "injection_mapper",
            "injection_alphas",
            "injection_one_minus_alphas",
            "injection_equalizer",
            "injection_alpha_t",
            "injection_one_minus_alpha_t");
    private final int step;

    Script(int step) {
      this.step = step;
    }

    @Override
    public String key() {
      return "vct-injection";
    }

    @Override
    public List<String> inputs() {
      return INPUTS;
    }

    @Override
    public List<NDArray> arguments(NDManager manager) {
      StepTables t = tables;
      if (t == null || t.step != step) {
        t = new StepTables(step, manager);
      }
      return List.of(
          t.editCross,
          t.selfQueries,
          t.mapper,
          t.alphas,
          t.oneMinusAlphas,
          t.equalizer,
          t.alphaT,
          t.oneMinusAlphaT);
    }

    @Override
    public String attend(ScriptWriter s, ScriptedAttentionCall call) {
      // rows b * heads .. (b + 1) * heads - 1 of the probabilities are batch element b's heads
      long heads = call.heads();
      String probabilities = call.probabilities(s);
      String base = probabilities + "[" + BASE * heads + ":" + EDITED * heads + "]";
      String edited;
      String condition;
      if (call.cross()) {
        // A_B <- alpha_t eq (alpha A_B*[:, :, m] + (1 - alpha) A_B) + (1 - alpha_t) A_B
        String own = probabilities + "[" + EDITED * heads + ":]";
        String gathered = "torch.index_select(" + base + ", 2, injection_mapper)";
        String refined =
            "torch.add(torch.mul("
                + gathered
                + ", injection_alphas), torch.mul("
                + own
                + ", injection_one_minus_alphas))";
        String reweighted = "torch.mul(" + refined + ", injection_equalizer)";
        edited =
            "torch.add(torch.mul("
                + reweighted
                + ", injection_alpha_t), torch.mul(injection_one_minus_alpha_t, "
                + own
                + "))";
        condition = s.shared("bool(injection_cross)");
      } else {
        // A_B <- A_B*, in layers with at most selfMaxQueries queries
        edited = base;
        condition = call.queries() + " <= " + s.shared("int(injection_self_queries)");
      }
      String editedRows =
          "torch.cat([" + probabilities + "[:" + EDITED * heads + "], " + edited + "], 0)";
      return s.let(
          "torch.bmm("
              + editedRows
              + ", "
              + call.value()
              + ") if "
              + condition
              + " else torch.bmm("
              + probabilities
              + ", "
              + call.value()
              + ")");
    }
  }

  /**
   * The per-step constants of the edits (the cross-attention tables and, for the script, which
   * edits the step makes), made once for a denoising step on the step's manager instead of once per
   * layer; {@link #endStep} forgets them before that manager closes. Without them (a lone call),
   * each call makes its own.
   */
  void beginStep(NDManager stepManager, int step) {
    tables = editsCross(step) || step < selfSteps ? new StepTables(step, stepManager) : null;
  }

  void endStep() {
    tables = null;
  }

  /** (heads, queries, keys) of the main branch after AttentionRefine and AttentionReweight. */
  private NDArray refineAndReweight(NDArray base, NDArray own, int step) {
    StepTables t = tables;
    if (t == null || t.step != step) {
      t = new StepTables(step, own.getManager());
    }
    NDArray gathered = base.get(new NDIndex(":, :, {}", t.mapper));
    NDArray refined = gathered.mul(t.alphas).add(own.mul(t.oneMinusAlphas));
    NDArray reweighted = refined.mul(t.equalizer);
    return reweighted.mul(t.alphaT).add(t.oneMinusAlphaT.mul(own));
  }

  /** The arrays {@link #refineAndReweight} and {@link Script} read at one step. */
  private final class StepTables {
    final int step;
    final NDArray mapper;
    final NDArray alphas;
    final NDArray oneMinusAlphas;
    final NDArray equalizer;
    final NDArray alphaT;
    final NDArray oneMinusAlphaT;
    final NDArray editCross; // 0-d: 1 where the step edits cross-attention (for the script)
    final NDArray selfQueries; // 0-d: selfMaxQueries where the step edits self-attention, else 0

    StepTables(int step, NDManager m) {
      long[] positions = AttentionInjection.this.mapper;
      int keys = positions.length;
      NDArray one = Tensors.scalar(m, 1f);
      this.step = step;
      this.mapper = Tensors.longs(m, positions, keys);
      this.alphas = Tensors.floats(m, refineAlphas, keys);
      this.oneMinusAlphas = one.sub(alphas);
      this.equalizer = Tensors.floats(m, AttentionInjection.this.equalizer, keys);
      this.alphaT = Tensors.floats(m, crossAlpha[step], keys);
      this.oneMinusAlphaT = one.sub(alphaT);
      this.editCross = m.full(new Shape(), editsCross(step) ? 1 : 0);
      this.selfQueries = m.full(new Shape(), step < selfSteps ? selfMaxQueries : 0);
    }
  }
}
