package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.nn.Attention;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.Downsample2D;
import dev.vct.engine.nn.ResnetBlock2D;
import dev.vct.engine.nn.ScriptWriter;
import java.util.Iterator;
import java.util.List;

/**
 * One encoder level: {@code CrossAttnDownBlock2D} (resnet + transformer per layer) or {@code
 * DownBlock2D} (no transformers), then a stride-2 downsampler except at the last level. Every
 * layer's output and the downsampled map are pushed as skip connections.
 */
final class DownBlock {
  private final List<ResnetBlock2D> resnets;
  private final List<Transformer2DModel> attentions; // empty for DownBlock2D
  private final Downsample2D downsampler; // null at the last level

  DownBlock(
      List<ResnetBlock2D> resnets, List<Transformer2DModel> attentions, Downsample2D downsampler) {
    this.resnets = List.copyOf(resnets);
    this.attentions = List.copyOf(attentions);
    this.downsampler = downsampler;
  }

  List<Attention> attentionLayers() {
    return attentions.stream().flatMap(t -> t.attentions().stream()).toList();
  }

  String script(
      ScriptWriter s, String x, Iterator<String> timeShifts, String context, List<String> skips) {
    for (int i = 0; i < resnets.size(); i++) {
      x = resnets.get(i).script(s, x, timeShifts.next());
      if (!attentions.isEmpty()) {
        x = attentions.get(i).script(s, x, context);
      }
      skips.add(x);
    }
    if (downsampler != null) {
      x = downsampler.script(s, x);
      skips.add(x);
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
      x = resnets.get(i).forward(x, timeShifts.next());
      if (!attentions.isEmpty()) {
        x = attentions.get(i).forward(x, context, attentionContext);
      }
      skips.add(x);
    }
    if (downsampler != null) {
      x = downsampler.forward(x);
      skips.add(x);
    }
    return x;
  }
}
