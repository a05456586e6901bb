package dev.vct.engine.vct;

import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import java.util.ArrayList;
import java.util.List;

/**
 * Oracle fixture {@code vct_ddim_inversion}: the first N steps of {@link ContentInversion} on
 * {@code in.source_image}: the source latent, the trajectory z*_0 .. z*_N and the timesteps.
 */
public final class VctDdimInversionParity implements ParityCheck {

  @Override
  public String component() {
    return "vct_ddim_inversion";
  }

  @Override
  public List<Comparison> run(Fixture fixture) {
    int n = VctFixtures.param(fixture, "num_ddim_steps");
    int size = VctFixtures.param(fixture, "image_size");
    ContentInversionParams params =
        ContentInversionParams.defaults().withSteps(n, 1).withResolution(size);
    try (VctModels models = VctFixtures.models(fixture)) {
      ContentInversion stage =
          ContentInversion.start(models, params, VctFixtures.floats(fixture, "source_image"));
      stage.runUntil(n, ProgressListener.NONE, Cancellation.NEVER);
      float[][] trajectory = stage.trajectory();
      long[] shape = stage.latentShape();
      List<Comparison> out = new ArrayList<>();
      out.add(
          VctFixtures.compare(
              fixture, "image_latent", trajectory[0], shape[0], shape[1], shape[2], shape[3]));
      out.add(
          VctFixtures.compare(
              fixture,
              "latent_trajectory",
              VctFixtures.concat(trajectory),
              n + 1,
              shape[1],
              shape[2],
              shape[3]));
      out.add(
          VctFixtures.compareLongs(
              fixture, "timesteps", VctFixtures.toLongs(stage.timesteps()), n));
      return out;
    }
  }
}
