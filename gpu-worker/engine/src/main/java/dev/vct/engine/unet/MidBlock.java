package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.nn.Attention;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.ResnetBlock2D;
import dev.vct.engine.nn.ScriptWriter;
import java.util.Iterator;
import java.util.List;

/** {@code UNetMidBlock2DCrossAttn}: resnet, then (transformer, resnet) per layer. */
final class MidBlock {
  private final List<ResnetBlock2D> resnets; // one more than attentions
  private final List<Transformer2DModel> attentions;

  MidBlock(List<ResnetBlock2D> resnets, List<Transformer2DModel> attentions) {
    if (resnets.size() != attentions.size() + 1) {
      throw new IllegalArgumentException("mid block needs one resnet more than transformers");
    }
    this.resnets = List.copyOf(resnets);
    this.attentions = List.copyOf(attentions);
  }

  List<Attention> attentionLayers() {
    return attentions.stream().flatMap(t -> t.attentions().stream()).toList();
  }

  String script(ScriptWriter s, String x, Iterator<String> timeShifts, String context) {
    x = resnets.get(0).script(s, x, timeShifts.next());
    for (int i = 0; i < attentions.size(); i++) {
      x = attentions.get(i).script(s, x, context);
      x = resnets.get(i + 1).script(s, x, timeShifts.next());
    }
    return x;
  }

  NDArray forward(
      NDArray x, Iterator<NDArray> timeShifts, NDArray context, AttentionContext attentionContext) {
    x = resnets.get(0).forward(x, timeShifts.next());
    for (int i = 0; i < attentions.size(); i++) {
      x = attentions.get(i).forward(x, context, attentionContext);
      x = resnets.get(i + 1).forward(x, timeShifts.next());
    }
    return x;
  }
}
