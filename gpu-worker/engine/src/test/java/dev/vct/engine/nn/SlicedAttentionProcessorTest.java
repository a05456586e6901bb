package dev.vct.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class SlicedAttentionProcessorTest {

  private static AttentionCall call(NDManager m, NDArray q, NDArray k, NDArray v) {
    return new AttentionCall("layer", false, 2, 3, q, k, v, AttentionContext.SINGLE_PASS);
  }

  @Test
  void slicedAttentionEqualsDefaultAttentionValuesAndGradients() {
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(7);
      // queries arrive scaled by headDim^-0.5
      NDArray q = m.randomNormal(new Shape(2 * 3, 37, 16)).mul(0.25f);
      NDArray k = m.randomNormal(new Shape(2 * 3, 29, 16));
      NDArray v = m.randomNormal(new Shape(2 * 3, 29, 16));
      // 2*3*29 = 174 score elements per query: 1000 allows 5 queries per slice -> 8 slices.
      SlicedAttentionProcessor sliced = new SlicedAttentionProcessor(1000);
      assertEquals(5, sliced.queriesPerSlice(call(m, q, k, v)));

      float[][] outputs = new float[2][];
      float[][] gradients = new float[2][];
      AttentionProcessor[] processors = {DefaultAttentionProcessor.INSTANCE, sliced};
      for (int i = 0; i < 2; i++) {
        NDArray query = q.duplicate();
        query.setRequiresGradient(true);
        try (GradientCollector gc = m.getEngine().newGradientCollector()) {
          NDArray out = processors[i].attend(call(m, query, k, v));
          outputs[i] = out.toFloatArray();
          gc.backward(out.mul(out).sum());
        }
        gradients[i] = query.getGradient().toFloatArray();
      }
      assertArrayEquals(outputs[0], outputs[1], 1e-6f);
      assertArrayEquals(gradients[0], gradients[1], 1e-5f);
    }
  }
}
