package dev.vct.engine.vct;

import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import java.util.ArrayList;
import java.util.List;

/**
 * Oracle fixture {@code vct_content_inversion}: the optimisation half of {@link ContentInversion}
 * from {@code in.latent_trajectory}: content embeddings, reconstruction, every inner loss and the
 * inner iterations per timestep (exact: the early stop must fire where the reference's did).
 */
public final class VctContentInversionParity implements ParityCheck {

  @Override
  public String component() {
    return "vct_content_inversion";
  }

  @Override
  public List<Comparison> run(Fixture fixture) {
    int n = VctFixtures.param(fixture, "num_ddim_steps");
    ContentInversionParams params =
        new ContentInversionParams(
            n,
            VctFixtures.param(fixture, "num_inner_steps"),
            VctFixtures.number(fixture, "guidance_scale"),
            VctFixtures.number(fixture, "guidance_scale_for_x_update"),
            1e-2,
            VctFixtures.number(fixture, "epsilon"),
            2e-5,
            VctFixtures.param(fixture, "image_size"));
    long[] trajectoryShape = VctFixtures.shape(fixture, "latent_trajectory");
    long[] latentShape = {1, trajectoryShape[1], trajectoryShape[2], trajectoryShape[3]};
    try (VctModels models = VctFixtures.models(fixture)) {
      ContentInversion stage =
          ContentInversion.fromTrajectory(
              models, params, VctFixtures.rows(fixture, "latent_trajectory"), latentShape);
      stage.run(ProgressListener.NONE, Cancellation.NEVER);
      ContentEmbedding result = stage.result();
      List<Comparison> out = new ArrayList<>();
      out.add(
          VctFixtures.compareInputLongs(
              fixture, "timesteps", VctFixtures.toLongs(stage.timesteps())));
      out.add(
          VctFixtures.compare(
              fixture, "uncond_embeddings", result.embeddings(), n, result.seq(), result.hidden()));
      out.add(
          VctFixtures.compare(
              fixture, "reconstruction_latent", result.reconstruction(), latentShape));
      float[] losses = stage.innerLosses();
      out.add(VctFixtures.compare(fixture, "inner_losses", losses, losses.length));
      int[] iterations = stage.innerIterations();
      out.add(
          VctFixtures.compareLongs(
              fixture, "inner_iterations", VctFixtures.toLongs(iterations), iterations.length));
      return out;
    }
  }
}
