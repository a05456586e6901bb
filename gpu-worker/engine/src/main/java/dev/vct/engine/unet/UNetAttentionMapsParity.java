package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.nn.RecordingAttentionProcessor;
import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import dev.vct.engine.tensor.StateDict;
import java.util.ArrayList;
import java.util.List;

/**
 * Oracle fixture {@code unet_attention_maps}: one UNet forward with a {@link
 * RecordingAttentionProcessor} in every layer; each layer's probabilities ({@code out.attn.<module
 * path>}, (batch * heads, queries, keys)) and the output sample are compared.
 */
public final class UNetAttentionMapsParity implements ParityCheck {

  @Override
  public String component() {
    return "unet_attention_maps";
  }

  @Override
  public List<Comparison> run(Fixture fixture) {
    try (StateDict weights = StateDict.open(UNetParity.weightsOf(fixture));
        UNet2DConditionModel unet =
            UNet2DConditionModel.create(
                UNetConfig.fromJson(fixture.config()), weights, fixture.manager());
        RecordingAttentionProcessor recorder = new RecordingAttentionProcessor(fixture.manager())) {
      unet.setAttentionProcessor(recorder);
      NDArray sample = UNetParity.forward(unet, fixture);

      List<Comparison> out = new ArrayList<>();
      List<String> order = new ArrayList<>();
      fixture.manifest().path("attention_layer_order").forEach(p -> order.add(p.asText()));
      if (!order.equals(List.copyOf(unet.attentionProcessors().keySet()))) {
        throw new IllegalStateException(
            "attention layers differ from the fixture's attention_layer_order: "
                + unet.attentionProcessors().keySet());
      }
      for (String path : order) {
        List<NDArray> recorded = recorder.probabilities(path);
        if (recorded.size() != 1) {
          throw new IllegalStateException(
              path + " was called " + recorded.size() + " times in one forward pass");
        }
        out.add(fixture.compare("attn." + path, recorded.get(0)));
      }
      out.add(fixture.compare("sample", sample));
      return out;
    }
  }
}
