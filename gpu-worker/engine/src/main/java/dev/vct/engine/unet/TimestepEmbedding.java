package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.nn.Activations;
import dev.vct.engine.nn.Linear;
import dev.vct.engine.nn.WeightSource;

/** {@code time_embedding}: linear_1, SiLU, linear_2. */
final class TimestepEmbedding {
  private final Linear linear1; // (timeEmbedDim, channels)
  private final Linear linear2; // (timeEmbedDim, timeEmbedDim)

  private TimestepEmbedding(Linear linear1, Linear linear2) {
    this.linear1 = linear1;
    this.linear2 = linear2;
  }

  static TimestepEmbedding load(WeightSource w, String prefix, long channels, long timeEmbedDim) {
    return new TimestepEmbedding(
        Linear.load(w, prefix + ".linear_1", channels, timeEmbedDim, true),
        Linear.load(w, prefix + ".linear_2", timeEmbedDim, timeEmbedDim, true));
  }

  NDArray forward(NDArray projected) {
    return linear2.forward(Activations.silu(linear1.forward(projected)));
  }
}
