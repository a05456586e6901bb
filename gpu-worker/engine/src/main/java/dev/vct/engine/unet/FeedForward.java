package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import dev.vct.engine.nn.Activations;
import dev.vct.engine.nn.Linear;
import dev.vct.engine.nn.ScriptWriter;
import dev.vct.engine.nn.WeightSource;

/** The transformer's {@code ff}: GEGLU ({@code net.0.proj}, to 2 x 4 x dim) then {@code net.2}. */
final class FeedForward {
  private final Linear proj; // (2 * inner, dim)
  private final Linear out; // (dim, inner)

  private FeedForward(Linear proj, Linear out) {
    this.proj = proj;
    this.out = out;
  }

  static FeedForward load(WeightSource w, String prefix, long dim) {
    long inner = dim * 4;
    return new FeedForward(
        Linear.load(w, prefix + ".net.0.proj", dim, inner * 2, true),
        Linear.load(w, prefix + ".net.2", inner, dim, true));
  }

  String script(ScriptWriter s, String x) {
    return out.script(s, Activations.geglu(s, proj.script(s, x)));
  }

  NDArray forward(NDArray x) {
    return out.forward(Activations.geglu(proj.forward(x)));
  }
}
