package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import dev.vct.engine.tensor.StateDict;
import java.nio.file.Path;
import java.util.List;

/**
 * Oracle fixtures {@code unet} and {@code unet_sd}: the UNet built from the fixture's config.json
 * and weights, {@code forward(in.sample, in.timestep[0], in.encoder_hidden_states)} against {@code
 * out.sample}.
 */
public final class UNetParity implements ParityCheck {

  @Override
  public String component() {
    return "unet";
  }

  @Override
  public List<Comparison> run(Fixture fixture) {
    try (StateDict weights = StateDict.open(weightsOf(fixture));
        UNet2DConditionModel unet =
            UNet2DConditionModel.create(
                UNetConfig.fromJson(fixture.config()), weights, fixture.manager())) {
      return List.of(fixture.compare("sample", forward(unet, fixture)));
    }
  }

  /** {@code weights.safetensors} of the fixture, or the manifest's {@code weights_from}. */
  static Path weightsOf(Fixture fixture) {
    String from = fixture.manifest().path("weights_from").asText("weights.safetensors");
    return fixture.resolve(from);
  }

  static NDArray forward(UNet2DConditionModel unet, Fixture fixture) {
    return unet.forward(
        fixture.input("sample"),
        fixture.input("timestep").get(0),
        fixture.input("encoder_hidden_states"));
  }
}
