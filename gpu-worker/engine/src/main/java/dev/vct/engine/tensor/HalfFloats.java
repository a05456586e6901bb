package dev.vct.engine.tensor;

/**
 * Exact widening of 16-bit floats to float32 in Java (bf16 tensors abort DJL's PyTorch engine, and
 * fp16 compute on the CPU is unusably slow, so both are widened while loading).
 */
final class HalfFloats {

  /** float32 value of every IEEE binary16 bit pattern, indexed by the unsigned 16 bits. */
  private static final float[] F16_TABLE = new float[1 << 16];

  static {
    for (int h = 0; h < F16_TABLE.length; h++) {
      F16_TABLE[h] = f16BitsToFloat(h);
    }
  }

  private HalfFloats() {}

  /** bfloat16 is the upper half of a float32, so shifting the bits back is exact (NaNs too). */
  static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  static float f16ToFloat(short bits) {
    return F16_TABLE[bits & 0xffff];
  }

  /** IEEE binary16 -> binary32: rebias the exponent, renormalise subnormals, keep inf/NaN. */
  static float f16BitsToFloat(int h) {
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      if (mantissa == 0) {
        return Float.intBitsToFloat(sign);
      }
      // subnormal: value = mantissa * 2^-24, exactly representable in float32
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }

  /** float32 -> binary16 with round-to-nearest-even (used by the writer for F16 output). */
  static short floatToF16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = (bits >>> 23) & 0xff;
    int mantissa = bits & 0x7fffff;
    if (exponent == 0xff) {
      return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
    }
    int e = exponent - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      int m = mantissa | 0x800000;
      int shift = 14 - e;
      int half = m >>> shift;
      int rest = m & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mantissa >>> 13);
    int rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
      half++; // may carry into the exponent, which rounds up to the next binade or to infinity
    }
    return (short) (sign | half);
  }

  /** float32 -> bfloat16 with round-to-nearest-even; NaNs stay quiet NaNs. */
  static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }
}
