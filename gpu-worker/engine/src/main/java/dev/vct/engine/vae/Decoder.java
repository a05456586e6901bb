package dev.vct.engine.vae;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.nn.Activations;
import dev.vct.engine.nn.Conv2d;
import dev.vct.engine.nn.GroupNorm;
import dev.vct.engine.nn.ResnetBlock2D;
import dev.vct.engine.nn.Upsample2D;
import dev.vct.engine.nn.WeightSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Latent to image: {@code conv_in}, mid block, one {@code UpDecoderBlock2D} per level from the
 * coarsest (layers_per_block + 1 resnets, then a 2x upsampler except at the last level), GroupNorm,
 * SiLU, {@code conv_out}.
 */
final class Decoder {
  private final Conv2d convIn;
  private final VaeMidBlock midBlock;
  private final List<List<ResnetBlock2D>> levels;
  private final List<Upsample2D> upsamplers; // one per level but the last
  private final GroupNorm convNormOut;
  private final Conv2d convOut;

  private Decoder(
      Conv2d convIn,
      VaeMidBlock midBlock,
      List<List<ResnetBlock2D>> levels,
      List<Upsample2D> upsamplers,
      GroupNorm convNormOut,
      Conv2d convOut) {
    this.convIn = convIn;
    this.midBlock = midBlock;
    this.levels = levels;
    this.upsamplers = upsamplers;
    this.convNormOut = convNormOut;
    this.convOut = convOut;
  }

  static Decoder load(WeightSource w, String prefix, VaeConfig config) {
    List<Integer> channels = config.blockOutChannels();
    int groups = config.normNumGroups();
    int last = config.blocks() - 1;
    long top = channels.get(last);
    Conv2d convIn = Conv2d.load(w, prefix + ".conv_in", config.latentChannels(), top, 3, 1, 1);
    VaeMidBlock mid = VaeMidBlock.load(w, prefix + ".mid_block", top, groups);
    List<List<ResnetBlock2D>> levels = new ArrayList<>();
    List<Upsample2D> upsamplers = new ArrayList<>();
    long out = top;
    for (int i = 0; i <= last; i++) {
      long in = out;
      out = channels.get(last - i);
      String level = prefix + ".up_blocks." + i;
      levels.add(VaeResnets.stack(w, level, in, out, config.layersPerBlock() + 1, groups));
      if (i < last) {
        upsamplers.add(Upsample2D.load(w, level + ".upsamplers.0", out));
      }
    }
    return new Decoder(
        convIn,
        mid,
        List.copyOf(levels),
        List.copyOf(upsamplers),
        GroupNorm.load(w, prefix + ".conv_norm_out", groups, out, VaeResnets.EPS),
        Conv2d.load(w, prefix + ".conv_out", out, config.outChannels(), 3, 1, 1));
  }

  VaeMidBlock midBlock() {
    return midBlock;
  }

  /** {@code latent}: (N, latent, h, w) to (N, out, h x f, w x f). */
  NDArray forward(NDArray latent) {
    NDArray x = midBlock.forward(convIn.forward(latent));
    for (int level = 0; level < levels.size(); level++) {
      for (ResnetBlock2D resnet : levels.get(level)) {
        x = resnet.forward(x, null);
      }
      if (level < upsamplers.size()) {
        x = upsamplers.get(level).forward(x);
      }
    }
    return convOut.forward(Activations.silu(convNormOut.forward(x)));
  }
}
