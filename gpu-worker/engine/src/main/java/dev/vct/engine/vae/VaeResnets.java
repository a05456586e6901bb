package dev.vct.engine.vae;

import dev.vct.engine.nn.ResnetBlock2D;
import dev.vct.engine.nn.WeightSource;
import java.util.ArrayList;
import java.util.List;

/** The VAE's flavour of resnet block: no time embedding, norm epsilon 1e-6, output scale 1. */
final class VaeResnets {
  /** Epsilon of every group norm in the VAE's resnets and around them. */
  static final float EPS = 1e-6f;

  private VaeResnets() {}

  /** The block at {@code name}, {@code in} to {@code out} channels. */
  static ResnetBlock2D load(WeightSource w, String name, long in, long out, int groups) {
    return ResnetBlock2D.load(w, name, in, out, groups, EPS, 1.0);
  }

  /**
   * The {@code count} blocks {@code level.resnets.0 ..}: the first takes {@code in} channels to
   * {@code out}, the others keep {@code out}.
   */
  static List<ResnetBlock2D> stack(
      WeightSource w, String level, long in, long out, int count, int groups) {
    List<ResnetBlock2D> resnets = new ArrayList<>();
    for (int j = 0; j < count; j++) {
      resnets.add(load(w, level + ".resnets." + j, j == 0 ? in : out, out, groups));
    }
    return List.copyOf(resnets);
  }
}
