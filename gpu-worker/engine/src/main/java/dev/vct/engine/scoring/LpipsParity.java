package dev.vct.engine.scoring;

import ai.djl.ndarray.NDManager;
import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import java.util.ArrayList;
import java.util.List;

/**
 * Oracle fixture {@code lpips}: the reference LPIPS (alex, v0.1 heads, random trunk) on image pairs
 * given as [-1, 1] tensors; compares every distance and its five per-layer terms.
 */
public final class LpipsParity implements ParityCheck {

  @Override
  public String component() {
    return "lpips";
  }

  @Override
  public List<Comparison> run(Fixture fixture) {
    NDManager m = fixture.manager();
    List<Comparison> out = new ArrayList<>();
    try (Lpips lpips = Lpips.load(fixture.resolve("weights.safetensors"))) {
      for (int i = 0; fixture.io().contains("in.img0_" + i); i++) {
        LpipsDistance d = lpips.distance(fixture.input("img0_" + i), fixture.input("img1_" + i));
        out.add(fixture.compare("distance_" + i, m.create(new float[] {d.distance()})));
        out.add(fixture.compare("per_layer_" + i, m.create(d.perLayer())));
      }
    }
    return out;
  }
}
