package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * How every attention layer computes inside a model's TorchScript function (see {@link
 * ScriptWriter}): the script counterpart of an {@link AttentionProcessor}. Plain attention is
 * {@link #PLAIN}; a processor that edits attention and can be scripted ({@link
 * ScriptableAttentionProcessor}) returns its own for a model call, with the per-call tensors the
 * script reads as extra inputs of the function.
 *
 * <p>A model compiles one function per {@link #key}: two values with the same key must write the
 * same script and take inputs of the same names, shapes and types.
 */
public interface ScriptedAttention {

  /** {@code softmax(Q K^T) V}: the same operators as {@link DefaultAttentionProcessor}. */
  ScriptedAttention PLAIN =
      new ScriptedAttention() {
        @Override
        public String key() {
          return "plain";
        }

        @Override
        public List<String> inputs() {
          return List.of();
        }

        @Override
        public List<NDArray> arguments(NDManager manager) {
          return List.of();
        }

        @Override
        public String attend(ScriptWriter s, ScriptedAttentionCall call) {
          return call.weightedValues(s, call.probabilities(s));
        }
      };

  /** Names the script: equal keys, equal scripts. */
  String key();

  /**
   * The names of the extra tensor inputs the script reads (valid Python identifiers that do not
   * start with {@code v} or {@code w}, which the writer uses).
   */
  List<String> inputs();

  /** The tensors for {@link #inputs}, in that order, for this model call. */
  List<NDArray> arguments(NDManager manager);

  /**
   * Writes the attended values of one layer, (batch * heads, queries, headDim), row b * heads + h,
   * and returns the variable holding them.
   */
  String attend(ScriptWriter s, ScriptedAttentionCall call);
}
