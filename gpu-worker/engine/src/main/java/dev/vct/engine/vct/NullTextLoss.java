package dev.vct.engine.vct;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vct.engine.nn.ScriptWriter;
import dev.vct.engine.nn.TorchScriptFunction;
import dev.vct.engine.scheduler.DdimSchedule;
import java.util.List;

/**
 * The loss of one null-text inner step as one native call: mse(prev_step(ε_u + g (ε_c − ε_u), t,
 * z̄), z*) with the operators {@link ContentInversion#guide} and {@link DdimSchedule#prevStep} run
 * one by one (the same kernels in the same order, so the same values), so that an inner step
 * crosses into libtorch twice (the UNet and this) instead of once per operator. Autograd records it
 * as it records the operators called one by one.
 */
final class NullTextLoss implements AutoCloseable {
  private static final List<String> INPUTS =
      List.of(
          "eps_uncond",
          "eps_cond",
          "guidance",
          "sample",
          "target",
          "noise_from",
          "sample_from",
          "noise_to",
          "sample_to");

  private final TorchScriptFunction function;

  /** Compiled (or taken from the process's cache of compiled functions) on {@code manager}. */
  NullTextLoss(NDManager manager) {
    ScriptWriter s = new ScriptWriter();
    // ContentInversion.guide: uncond.add(cond.sub(uncond).mul(guidance))
    String eps =
        s.let("torch.add(eps_uncond, torch.mul(torch.sub(eps_cond, eps_uncond), guidance))");
    // DdimSchedule.prevStep: original = (x - eps f0) / f1; prev = original f3 + eps f2
    String original =
        s.let("torch.div(torch.sub(sample, torch.mul(" + eps + ", noise_from)), sample_from)");
    String direction = s.let("torch.mul(" + eps + ", noise_to)");
    String prev = s.let("torch.add(torch.mul(" + original + ", sample_to), " + direction + ")");
    String loss = s.let("torch.mean(torch.square(torch.sub(" + prev + ", target)))");
    this.function = TorchScriptFunction.compile(manager, s, INPUTS, loss);
  }

  /** The step's constants, made once per timestep on {@code m}. */
  record Step(NDArray guidance, NDArray[] factors) {
    static Step of(NDManager m, DdimSchedule schedule, int t, double guidance) {
      float[] f = schedule.prevStepFactors(t);
      NDArray[] factors = new NDArray[f.length];
      for (int i = 0; i < f.length; i++) {
        factors[i] = Tensors.scalar(m, f[i]);
      }
      return new Step(Tensors.scalar(m, (float) guidance), factors);
    }
  }

  /** The 0-d loss of ε_u (the pass with the embedding being fitted) against {@code target}. */
  NDArray loss(NDArray epsUncond, NDArray epsCond, NDArray sample, NDArray target, Step step) {
    NDArray[] f = step.factors();
    return function.call(
        epsUncond, epsCond, step.guidance(), sample, target, f[0], f[1], f[2], f[3]);
  }

  @Override
  public void close() {
    function.close();
  }
}
