package dev.vct.engine.vae;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.nn.Activations;
import dev.vct.engine.nn.Conv2d;
import dev.vct.engine.nn.Downsample2D;
import dev.vct.engine.nn.GroupNorm;
import dev.vct.engine.nn.ResnetBlock2D;
import dev.vct.engine.nn.WeightSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Image to latent moments: {@code conv_in}, one {@code DownEncoderBlock2D} per level (resnets, then
 * a padded stride-2 downsampler except at the last level), mid block, GroupNorm, SiLU, {@code
 * conv_out} to 2 x latent channels (mean and log-variance).
 */
final class Encoder {
  private final Conv2d convIn;
  private final List<List<ResnetBlock2D>> levels;
  private final List<Downsample2D> downsamplers; // one per level but the last
  private final VaeMidBlock midBlock;
  private final GroupNorm convNormOut;
  private final Conv2d convOut;

  private Encoder(
      Conv2d convIn,
      List<List<ResnetBlock2D>> levels,
      List<Downsample2D> downsamplers,
      VaeMidBlock midBlock,
      GroupNorm convNormOut,
      Conv2d convOut) {
    this.convIn = convIn;
    this.levels = levels;
    this.downsamplers = downsamplers;
    this.midBlock = midBlock;
    this.convNormOut = convNormOut;
    this.convOut = convOut;
  }

  static Encoder load(WeightSource w, String prefix, VaeConfig config) {
    List<Integer> channels = config.blockOutChannels();
    int groups = config.normNumGroups();
    int last = config.blocks() - 1;
    Conv2d convIn =
        Conv2d.load(w, prefix + ".conv_in", config.inChannels(), channels.get(0), 3, 1, 1);
    List<List<ResnetBlock2D>> levels = new ArrayList<>();
    List<Downsample2D> downsamplers = new ArrayList<>();
    long out = channels.get(0);
    for (int i = 0; i <= last; i++) {
      long in = out;
      out = channels.get(i);
      String level = prefix + ".down_blocks." + i;
      levels.add(VaeResnets.stack(w, level, in, out, config.layersPerBlock(), groups));
      if (i < last) {
        downsamplers.add(Downsample2D.load(w, level + ".downsamplers.0", out, 0));
      }
    }
    return new Encoder(
        convIn,
        List.copyOf(levels),
        List.copyOf(downsamplers),
        VaeMidBlock.load(w, prefix + ".mid_block", out, groups),
        GroupNorm.load(w, prefix + ".conv_norm_out", groups, out, VaeResnets.EPS),
        Conv2d.load(w, prefix + ".conv_out", out, 2L * config.latentChannels(), 3, 1, 1));
  }

  VaeMidBlock midBlock() {
    return midBlock;
  }

  /** {@code image}: (N, in, H, W) to moments (N, 2 x latent, H / f, W / f). */
  NDArray forward(NDArray image) {
    NDArray x = convIn.forward(image);
    for (int level = 0; level < levels.size(); level++) {
      for (ResnetBlock2D resnet : levels.get(level)) {
        x = resnet.forward(x, null);
      }
      if (level < downsamplers.size()) {
        x = downsamplers.get(level).forward(x);
      }
    }
    x = midBlock.forward(x);
    return convOut.forward(Activations.silu(convNormOut.forward(x)));
  }
}
