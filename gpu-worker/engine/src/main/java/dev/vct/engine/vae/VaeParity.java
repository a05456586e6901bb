package dev.vct.engine.vae;

import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import dev.vct.engine.tensor.StateDict;
import java.util.List;

/**
 * Oracle fixtures {@code vae} and {@code vae_sd}: {@code encode(in.image)} against the latent mean,
 * log-variance and std; {@code decode(out.latent_mean)} against {@code out.decoded}.
 */
public final class VaeParity implements ParityCheck {

  @Override
  public String component() {
    return "vae";
  }

  @Override
  public List<Comparison> run(Fixture fixture) {
    try (StateDict weights = StateDict.open(fixture.resolve("weights.safetensors"));
        AutoencoderKL vae =
            AutoencoderKL.create(
                VaeConfig.fromJson(fixture.config()), weights, fixture.manager())) {
      LatentDistribution latent = vae.encode(fixture.input("image"));
      return List.of(
          fixture.compare("latent_mean", latent.mean()),
          fixture.compare("latent_logvar", latent.logvar()),
          fixture.compare("latent_std", latent.std()),
          fixture.compare("decoded", vae.decode(fixture.expected("latent_mean"))));
    }
  }
}
