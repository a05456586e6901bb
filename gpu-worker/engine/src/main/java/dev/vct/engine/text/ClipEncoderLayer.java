package dev.vct.engine.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.vct.engine.nn.Activations;
import dev.vct.engine.nn.LayerNorm;
import dev.vct.engine.nn.Linear;
import dev.vct.engine.nn.WeightSource;

/** One pre-norm transformer layer of CLIP: x + attn(ln1(x)), then x + mlp(ln2(x)). */
final class ClipEncoderLayer {
  private final LayerNorm layerNorm1;
  private final ClipAttention selfAttn;
  private final LayerNorm layerNorm2;
  private final Linear fc1; // (intermediate, hidden)
  private final Linear fc2; // (hidden, intermediate)
  private final NDArray quickGeluFactor; // 0-d 1.702 for quick_gelu, null for gelu

  private ClipEncoderLayer(
      LayerNorm layerNorm1,
      ClipAttention selfAttn,
      LayerNorm layerNorm2,
      Linear fc1,
      Linear fc2,
      NDArray quickGeluFactor) {
    this.layerNorm1 = layerNorm1;
    this.selfAttn = selfAttn;
    this.layerNorm2 = layerNorm2;
    this.fc1 = fc1;
    this.fc2 = fc2;
    this.quickGeluFactor = quickGeluFactor;
  }

  static ClipEncoderLayer load(WeightSource weights, String prefix, ClipTextConfig config) {
    long hidden = config.hiddenSize();
    long intermediate = config.intermediateSize();
    float eps = config.layerNormEps();
    return new ClipEncoderLayer(
        LayerNorm.load(weights, prefix + ".layer_norm1", hidden, eps),
        ClipAttention.load(weights, prefix + ".self_attn", config),
        LayerNorm.load(weights, prefix + ".layer_norm2", hidden, eps),
        Linear.load(weights, prefix + ".mlp.fc1", hidden, intermediate, true),
        Linear.load(weights, prefix + ".mlp.fc2", intermediate, hidden, true),
        config.hiddenAct().equals("quick_gelu")
            ? weights.manager().full(new Shape(), 1.702f)
            : null);
  }

  NDArray forward(NDArray x, NDArray causalMask) {
    x = x.add(selfAttn.forward(layerNorm1.forward(x), causalMask));
    return x.add(fc2.forward(activation(fc1.forward(layerNorm2.forward(x)))));
  }

  private NDArray activation(NDArray x) {
    if (quickGeluFactor == null) {
      return Activations.gelu(x);
    }
    // quick_gelu(x) = x * sigmoid(1.702 x)
    return x.mul(Activation.sigmoid(x.mul(quickGeluFactor)));
  }
}
