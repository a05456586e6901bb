package dev.vct.engine.tensor;

import java.util.Arrays;

/** Element types of the safetensors format, with their size in bytes. */
public enum DType {
  F64(8),
  F32(4),
  F16(2),
  BF16(2),
  I64(8),
  I32(4),
  I16(2),
  I8(1),
  U8(1),
  BOOL(1);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /** The type named by a header's {@code dtype} field, or null when the name is unknown. */
  static DType parse(String name) {
    return Arrays.stream(values()).filter(d -> d.name().equals(name)).findFirst().orElse(null);
  }
}
