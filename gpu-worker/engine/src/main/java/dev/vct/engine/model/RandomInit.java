package dev.vct.engine.model;

/**
 * Scale of random weights that keeps activations of order one: weights N(0, 1/fan_in), embeddings
 * N(0, 0.02), norm scales 1 + N(0, 0.05), biases N(0, 0.02).
 */
record RandomInit(double mean, double std) {

  static RandomInit forKey(String key, long[] shape) {
    if (key.endsWith(".bias")) {
      return new RandomInit(0, 0.02);
    }
    if (shape.length == 1) {
      return new RandomInit(1, 0.05);
    }
    if (key.contains("embedding")) {
      return new RandomInit(0, 0.02);
    }
    long fanIn = 1;
    for (int i = 1; i < shape.length; i++) {
      fanIn *= shape[i];
    }
    return new RandomInit(0, 1 / Math.sqrt(fanIn));
  }
}
