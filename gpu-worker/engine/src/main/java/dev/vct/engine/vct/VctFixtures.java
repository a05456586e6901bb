package dev.vct.engine.vct;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import java.nio.file.Path;

/** What the vct_* parity checks share: the model folder, inputs as arrays, comparisons. */
final class VctFixtures {
  private VctFixtures() {}

  /** The fixture's {@code model_dir} (vct_model), loaded on the CPU. */
  static VctModels models(Fixture fixture) {
    Path dir = fixture.resolve(fixture.manifest().path("model_dir").asText("../vct_model"));
    return VctModels.load(dir, Device.cpu(), VctModels.DEFAULT_MAX_ATTENTION_SCORES);
  }

  static int param(Fixture fixture, String name) {
    if (!fixture.params().has(name)) {
      throw new IllegalArgumentException(fixture.name() + ": params has no '" + name + "'");
    }
    return fixture.params().get(name).asInt();
  }

  static double number(Fixture fixture, String name) {
    if (!fixture.params().has(name)) {
      throw new IllegalArgumentException(fixture.name() + ": params has no '" + name + "'");
    }
    return fixture.params().get(name).asDouble();
  }

  static float[] floats(Fixture fixture, String input) {
    return fixture.io().floats("in." + input);
  }

  static long[] shape(Fixture fixture, String input) {
    return fixture.io().info("in." + input).shape();
  }

  /** Rows of a stacked input: (n, ...) into n arrays. */
  static float[][] rows(Fixture fixture, String input) {
    float[] all = floats(fixture, input);
    int n = (int) shape(fixture, input)[0];
    int size = all.length / n;
    float[][] out = new float[n][];
    for (int i = 0; i < n; i++) {
      out[i] = java.util.Arrays.copyOfRange(all, i * size, (i + 1) * size);
    }
    return out;
  }

  /** Compares Java values of {@code shape} with {@code out.<name>} at the manifest tolerance. */
  static Comparison compare(Fixture fixture, String name, float[] actual, long... shape) {
    NDArray array = fixture.manager().create(actual, new Shape(shape));
    return fixture.compare(name, array);
  }

  static Comparison compareLongs(Fixture fixture, String name, long[] actual, long... shape) {
    NDArray array = fixture.manager().create(actual, new Shape(shape));
    return fixture.compare(name, array);
  }

  /** Compares with an input tensor (a recomputed input, e.g. the prompt embedding). */
  static Comparison compareInput(Fixture fixture, String input, float[] actual) {
    float[] expected = floats(fixture, input);
    return Comparison.of("in." + input, actual, expected, fixture.tolerance("in." + input, false));
  }

  static Comparison compareInputLongs(Fixture fixture, String input, long[] actual) {
    long[] expected = fixture.io().longs("in." + input);
    return Comparison.of("in." + input, actual, expected, dev.vct.engine.parity.Tolerance.EXACT);
  }

  static float[] concat(float[][] parts) {
    int size = parts[0].length;
    float[] out = new float[parts.length * size];
    for (int i = 0; i < parts.length; i++) {
      System.arraycopy(parts[i], 0, out, i * size, size);
    }
    return out;
  }

  static long[] toLongs(int[] values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
