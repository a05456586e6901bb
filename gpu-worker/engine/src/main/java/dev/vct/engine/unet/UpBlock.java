package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.nn.Attention;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.ResnetBlock2D;
import dev.vct.engine.nn.ScriptWriter;
import dev.vct.engine.nn.Upsample2D;
import java.util.Iterator;
import java.util.List;

/**
 * One decoder level: {@code CrossAttnUpBlock2D} or {@code UpBlock2D}. Each layer concatenates the
 * latest skip connection on the channel axis before its resnet (and transformer); all levels but
 * the last end with a nearest-neighbour upsampler to the next skip's size.
 */
final class UpBlock {
  private final List<ResnetBlock2D> resnets;
  private final List<Transformer2DModel> attentions; // empty for UpBlock2D
  private final Upsample2D upsampler; // null at the last level

  UpBlock(List<ResnetBlock2D> resnets, List<Transformer2DModel> attentions, Upsample2D upsampler) {
    this.resnets = List.copyOf(resnets);
    this.attentions = List.copyOf(attentions);
    this.upsampler = upsampler;
  }

  List<Attention> attentionLayers() {
    return attentions.stream().flatMap(t -> t.attentions().stream()).toList();
  }

  /** Consumes one skip per layer from the end of {@code skips}. */
  String script(
      ScriptWriter s, String x, Iterator<String> timeShifts, String context, List<String> skips) {
    for (int i = 0; i < resnets.size(); i++) {
      String skip = skips.remove(skips.size() - 1);
      x =
          resnets
              .get(i)
              .script(s, s.let("torch.cat([" + x + ", " + skip + "], 1)"), timeShifts.next());
      if (!attentions.isEmpty()) {
        x = attentions.get(i).script(s, x, context);
      }
    }
    if (upsampler != null) {
      x = upsampler.script(s, x, skips.get(skips.size() - 1));
    }
    return x;
  }

  NDArray forward(
      NDArray x,
      Iterator<NDArray> timeShifts,
      NDArray context,
      AttentionContext attentionContext,
      List<NDArray> skips) {
    for (int i = 0; i < resnets.size(); i++) {
      NDArray skip = skips.remove(skips.size() - 1);
      x = resnets.get(i).forward(x.concat(skip, 1), timeShifts.next());
      if (!attentions.isEmpty()) {
        x = attentions.get(i).forward(x, context, attentionContext);
      }
    }
    if (upsampler != null) {
      // The next skip's size is 2x unless an odd size was rounded down on the way in.
      NDArray next = skips.get(skips.size() - 1);
      x = upsampler.forward(x, next.getShape().get(2), next.getShape().get(3));
    }
    return x;
  }
}
