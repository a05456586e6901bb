package dev.vct.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Functions of the same code share one compiled module for the whole process (a model loaded again
 * does not compile its UNet again), each with its own weights; a module outlives its functions in a
 * bounded cache of idle ones. Calls record autograd (they go through {@link ModuleRunner}, which
 * depends on DJL internals: these tests fail if a DJL upgrade changes them).
 */
class TorchScriptFunctionTest {

  private static NDManager manager;

  @BeforeAll
  static void start() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  /** {@code x * w0 + w1} with a marker constant that makes the code unique to {@code tag}. */
  private static TorchScriptFunction affine(NDManager m, float scale, float shift, int tag) {
    ScriptWriter s = new ScriptWriter();
    String product = s.let("torch.mul(x, " + s.weight(m.create(new float[] {scale})) + ")");
    String sum =
        s.let("torch.add(" + product + ", " + s.weight(m.create(new float[] {shift})) + ")");
    String result = s.let("torch.add(" + sum + ", " + tag + " * 0)");
    return TorchScriptFunction.compile(m, s, List.of("x"), result);
  }

  @Test
  void functionsOfTheSameCodeShareOneModuleAndKeepTheirOwnWeights() {
    int before = TorchScriptFunction.cachedModules();
    try (NDManager a = manager.newSubManager();
        NDManager b = manager.newSubManager()) {
      TorchScriptFunction first = affine(a, 2f, 1f, 1_000_001);
      TorchScriptFunction second = affine(b, -3f, 0.5f, 1_000_001);
      assertEquals(before + 1, TorchScriptFunction.cachedModules(), "one module for both");
      NDArray x = manager.create(new float[] {1f, 2f, -4f});
      assertArrayEquals(new float[] {3f, 5f, -7f}, first.call(x).toFloatArray());
      assertArrayEquals(new float[] {-2.5f, -5.5f, 12.5f}, second.call(x).toFloatArray());

      first.close();
      first.close(); // idempotent: the manager closes it again below
      assertThrows(IllegalStateException.class, () -> first.call(x));
      assertArrayEquals(
          new float[] {-2.5f, -5.5f, 12.5f},
          second.call(x).toFloatArray(),
          "the module outlives one of its functions");
    }
    // both managers closed their functions; the module stays cached for the next function
    int cached = TorchScriptFunction.cachedModules();
    try (NDManager c = manager.newSubManager()) {
      TorchScriptFunction again = affine(c, 0.5f, 0f, 1_000_001);
      assertEquals(cached, TorchScriptFunction.cachedModules(), "taken from the cache");
      assertArrayEquals(
          new float[] {0.5f, 1f, -2f},
          again.call(manager.create(new float[] {1f, 2f, -4f})).toFloatArray());
    }
  }

  @Test
  void idleModulesBeyondTheLimitAreClosedOldestFirst() {
    int n = TorchScriptFunction.MAX_IDLE + 3;
    try (NDManager m = manager.newSubManager()) {
      TorchScriptFunction kept = affine(m, 1f, 0f, 2_000_000);
      List<TorchScriptFunction> open = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        open.add(affine(m, 1f, 0f, 2_000_000 + i));
      }
      open.forEach(TorchScriptFunction::close);
      assertEquals(TorchScriptFunction.MAX_IDLE, TorchScriptFunction.idleModules());
      int cached = TorchScriptFunction.cachedModules();
      // the most recently used idle module is still compiled, the oldest is not
      affine(m, 1f, 0f, 2_000_000 + n).close();
      assertEquals(cached, TorchScriptFunction.cachedModules(), "the newest idle one is kept");
      affine(m, 1f, 0f, 2_000_001).close();
      assertEquals(cached, TorchScriptFunction.cachedModules(), "recompiled, another one closed");
      assertEquals(TorchScriptFunction.MAX_IDLE, TorchScriptFunction.idleModules());
      // a module in use is never closed, however old
      assertArrayEquals(
          new float[] {4f}, kept.call(manager.create(new float[] {4f})).toFloatArray());
    }
  }

  @Test
  void gradientsReachTheInputsAndTheWeightsOnEveryCall() {
    try (NDManager m = manager.newSubManager()) {
      ScriptWriter s = new ScriptWriter();
      NDArray w = m.create(new float[] {2f, -3f});
      w.setRequiresGradient(true);
      String product = s.let("torch.mul(x, " + s.weight(w) + ")");
      String result = s.let("torch.sum(torch.mul(" + product + ", x))"); // sum(w * x^2)
      TorchScriptFunction f = TorchScriptFunction.compile(m, s, List.of("x"), result);
      for (int call = 1; call <= 3; call++) { // the weight list made once serves every call
        try (NDManager step = m.newSubManager()) {
          NDArray x = step.create(new float[] {call, 0.5f * call});
          x.setRequiresGradient(true);
          try (GradientCollector collector = x.getManager().getEngine().newGradientCollector()) {
            NDArray loss = f.call(x);
            collector.backward(loss);
          }
          // d/dx = 2 w x, d/dw = x^2 (accumulated over the calls: the weight is the same tensor)
          assertArrayEquals(
              new float[] {4f * call, -3f * call}, x.getGradient().toFloatArray(), 1e-6f);
          float sum = 0;
          for (int c = 1; c <= call; c++) {
            sum += c * c;
          }
          assertArrayEquals(new float[] {sum, 0.25f * sum}, w.getGradient().toFloatArray(), 1e-5f);
        }
      }
    }
  }
}
