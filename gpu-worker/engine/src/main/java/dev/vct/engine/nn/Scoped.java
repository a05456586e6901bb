package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Runs one block's computation in its own {@link NDScope}: every array created inside is freed when
 * the block returns, except its result, which passes to the enclosing scope (if any). Native memory
 * therefore never piles up across blocks, whichever manager the inputs belong to, and peak memory
 * at inference is one block's temporaries rather than the whole network's.
 *
 * <p>Autograd is unaffected: the graph holds its own references to the tensors backward needs, so
 * freeing the Java handles early only lets the graph release them after backward.
 */
public final class Scoped {
  private Scoped() {}

  /** {@code computation} must return a new array, not one of its inputs. */
  public static NDArray call(Supplier<NDArray> computation) {
    NDArray result;
    try (NDScope scope = new NDScope()) {
      result = computation.get();
      NDScope.unregister(result);
    }
    NDScope.register(result);
    return result;
  }

  /**
   * Keeps an array created inside a scoped computation alive beyond it (a recording, a cache): the
   * array leaves the current scope and belongs to {@code owner}'s lifetime.
   */
  public static NDArray keep(NDArray array, NDManager owner) {
    NDScope.unregister(array);
    array.attach(owner);
    return array;
  }
}
