package dev.vct.engine.scheduler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import java.util.ArrayList;
import java.util.List;

/** Oracle fixture {@code ddim_scheduler}: schedule tables, DDIM steps and VCT's inversion steps. */
public final class DdimSchedulerParity implements ParityCheck {

  @Override
  public String component() {
    return "ddim_scheduler";
  }

  @Override
  public List<Comparison> run(Fixture fixture) {
    NDManager m = fixture.manager();
    DdimScheduler scheduler = new DdimScheduler(DdimSchedulerConfig.fromJson(fixture.config()));
    DdimSchedule schedule =
        scheduler.setTimesteps(fixture.params().get("num_inference_steps").asInt());

    NDArray modelOutputs = fixture.input("model_outputs");
    NDArray samples = fixture.input("samples");
    long[] stepTimesteps = fixture.io().longs("in.step_timesteps");
    NDList prev = new NDList();
    NDList original = new NDList();
    NDList next = new NDList();
    NDList vctPrev = new NDList();
    for (int k = 0; k < stepTimesteps.length; k++) {
      int t = Math.toIntExact(stepTimesteps[k]);
      NDArray eps = modelOutputs.get(k);
      NDArray x = samples.get(k);
      DdimStep step = schedule.step(eps, t, x);
      prev.add(step.prevSample());
      original.add(step.predOriginalSample());
      next.add(schedule.nextStep(eps, t, x));
      vctPrev.add(schedule.prevStep(eps, t, x));
    }

    List<Comparison> out = new ArrayList<>();
    out.add(fixture.compare("timesteps", m.create(toLongs(schedule.timesteps()))));
    out.add(fixture.compare("betas", m.create(scheduler.betas())));
    out.add(fixture.compare("alphas_cumprod", m.create(scheduler.alphasCumprod())));
    out.add(
        fixture.compare(
            "final_alpha_cumprod", m.create(new float[] {scheduler.finalAlphaCumprod()})));
    out.add(fixture.compare("prev_sample", NDArrays.stack(prev)));
    out.add(fixture.compare("pred_original_sample", NDArrays.stack(original)));
    out.add(fixture.compare("vct_next_step", NDArrays.stack(next)));
    out.add(fixture.compare("vct_prev_step", NDArrays.stack(vctPrev)));
    return out;
  }

  private static long[] toLongs(int[] values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
