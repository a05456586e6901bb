package dev.vct.engine.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * One output compared with its expected value.
 *
 * @param name output name as in the manifest (without the {@code out.} prefix)
 * @param maxAbs largest |actual - expected|
 * @param maxRel largest |actual - expected| / |expected| over elements with expected != 0
 * @param pass whether every element is within the tolerance (and the shapes agree)
 * @param problem why it failed beyond the numbers (shape mismatch, NaN), or empty
 */
public record Comparison(
    String name, double maxAbs, double maxRel, boolean pass, Tolerance tolerance, String problem) {

  /** Compares two float arrays of the same shape. */
  public static Comparison of(String name, float[] actual, float[] expected, Tolerance tolerance) {
    if (actual.length != expected.length) {
      return mismatch(name, tolerance, actual.length + " values instead of " + expected.length);
    }
    double maxAbs = 0;
    double maxRel = 0;
    boolean pass = true;
    int nan = 0;
    for (int i = 0; i < actual.length; i++) {
      double a = actual[i];
      double b = expected[i];
      if (Double.isNaN(a) || Double.isNaN(b)) {
        nan++;
        pass = false;
        continue;
      }
      double diff = Math.abs(a - b);
      maxAbs = Math.max(maxAbs, diff);
      if (b != 0) {
        maxRel = Math.max(maxRel, diff / Math.abs(b));
      }
      pass &= tolerance.accepts(a, b);
    }
    return new Comparison(name, maxAbs, maxRel, pass, tolerance, nan > 0 ? nan + " NaN" : "");
  }

  /** Compares two integer arrays: exact unless the tolerance allows a difference. */
  public static Comparison of(String name, long[] actual, long[] expected, Tolerance tolerance) {
    if (actual.length != expected.length) {
      return mismatch(name, tolerance, actual.length + " values instead of " + expected.length);
    }
    double maxAbs = 0;
    double maxRel = 0;
    boolean pass = true;
    for (int i = 0; i < actual.length; i++) {
      double diff = Math.abs((double) actual[i] - expected[i]);
      maxAbs = Math.max(maxAbs, diff);
      if (expected[i] != 0) {
        maxRel = Math.max(maxRel, diff / Math.abs((double) expected[i]));
      }
      pass &= tolerance.accepts(actual[i], expected[i]);
    }
    return new Comparison(name, maxAbs, maxRel, pass, tolerance, "");
  }

  /**
   * Compares two arrays, shape included: integer types (int64/int32/uint8) element by element as
   * integers, everything else as float32.
   */
  public static Comparison of(String name, NDArray actual, NDArray expected, Tolerance tolerance) {
    if (!actual.getShape().equals(expected.getShape())) {
      return mismatch(
          name, tolerance, "shape " + actual.getShape() + " instead of " + expected.getShape());
    }
    if (isInteger(actual.getDataType()) && isInteger(expected.getDataType())) {
      return of(
          name,
          actual.toType(DataType.INT64, false).toLongArray(),
          expected.toType(DataType.INT64, false).toLongArray(),
          tolerance);
    }
    return of(
        name,
        actual.toType(DataType.FLOAT32, false).toFloatArray(),
        expected.toType(DataType.FLOAT32, false).toFloatArray(),
        tolerance);
  }

  private static boolean isInteger(DataType type) {
    return type == DataType.INT64
        || type == DataType.INT32
        || type == DataType.UINT8
        || type == DataType.INT8;
  }

  private static Comparison mismatch(String name, Tolerance tolerance, String problem) {
    return new Comparison(
        name, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, false, tolerance, problem);
  }

  /** "name (max_abs=..., tolerance ...[, problem])", for failure reports. */
  public String describe() {
    return name
        + " ("
        + String.format(Locale.ROOT, "max_abs=%.3e max_rel=%.3e", maxAbs, maxRel)
        + ", "
        + tolerance
        + (problem.isEmpty() ? "" : ", " + problem)
        + ")";
  }

  static String numbers(double maxAbs, double maxRel) {
    return String.format(Locale.ROOT, "max_abs=%.3e max_rel=%.3e", maxAbs, maxRel);
  }

  @Override
  public String toString() {
    return (pass ? "ok " : "FAIL ") + describe();
  }
}
