package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * libtorch operators that DJL does not expose, called one by one from Java: group norm and SiLU.
 * Each is a one-line {@link TorchScriptFunction}, so the operator-by-operator Java path runs the
 * same kernels as a whole-model script and gives the same numbers, bit for bit.
 */
final class NativeOps {
  private static final Map<String, TorchScriptFunction> FUNCTIONS = new ConcurrentHashMap<>();

  private NativeOps() {}

  /** {@code torch.group_norm(x, groups, weight, bias, eps)}; weight and bias are (C). */
  static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps) {
    String key = "group_norm " + groups + " " + eps;
    return function(
            key,
            s ->
                s.let(
                    "torch.group_norm(x, "
                        + groups
                        + ", weight, bias, "
                        + ScriptWriter.number(eps)
                        + ")"),
            List.of("x", "weight", "bias"))
        .call(x, weight, bias);
  }

  /** {@code torch.silu(x)}. */
  static NDArray silu(NDArray x) {
    return function("silu", s -> s.let("torch.silu(x)"), List.of("x")).call(x);
  }

  private static TorchScriptFunction function(
      String key, java.util.function.Function<ScriptWriter, String> body, List<String> inputs) {
    TorchScriptFunction f = FUNCTIONS.get(key);
    if (f == null) {
      f =
          FUNCTIONS.computeIfAbsent(
              key,
              k -> {
                ScriptWriter s = new ScriptWriter();
                String result = body.apply(s);
                return TorchScriptFunction.compile(Holder.MANAGER, s, inputs, result);
              });
    }
    return f;
  }

  /** The modules' manager, made on first use (after libtorch is loaded) and never closed. */
  private static final class Holder {
    static final NDManager MANAGER = NDManager.newBaseManager();
  }
}
