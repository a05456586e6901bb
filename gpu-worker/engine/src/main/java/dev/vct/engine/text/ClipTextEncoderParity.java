package dev.vct.engine.text;

import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import dev.vct.engine.tensor.StateDict;
import java.util.List;

/**
 * Oracle fixture {@code clip_text_encoder}: {@code CLIPTextModel(in.input_ids)} without attention
 * mask; last hidden state (after the final layer norm) and pooled output.
 */
public final class ClipTextEncoderParity implements ParityCheck {

  @Override
  public String component() {
    return "clip_text_encoder";
  }

  @Override
  public List<Comparison> run(Fixture fixture) {
    ClipTextConfig config = ClipTextConfig.fromJson(fixture.config());
    try (StateDict weights = StateDict.open(fixture.dir().resolve("weights.safetensors"));
        ClipTextModel model = ClipTextModel.load(config, weights, fixture.manager())) {
      ClipTextOutput out = model.forward(fixture.input("input_ids"));
      return List.of(
          fixture.compare("last_hidden_state", out.lastHiddenState()),
          fixture.compare("pooler_output", out.poolerOutput()));
    }
  }
}
