package dev.vct.storage.persistence;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * An enumeration whose values travel as lower-case text codes, the same in the database (text
 * columns with CHECK constraints) and in JSON events: {@code CONTENT_INVERSION <->
 * content_inversion}.
 */
public interface CodedEnum {

  /** The stored and transmitted form of this value. */
  String code();

  /** The code of an enum constant: its name in lower case. */
  static String codeOf(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /**
   * The constant of {@code type} whose code is {@code code}.
   *
   * @throws IllegalArgumentException naming the allowed codes when none matches
   */
  static <E extends Enum<E> & CodedEnum> E fromCode(Class<E> type, String code) {
    for (E value : type.getEnumConstants()) {
      if (value.code().equals(code)) {
        return value;
      }
    }
    String allowed =
        Arrays.stream(type.getEnumConstants())
            .map(CodedEnum::code)
            .collect(Collectors.joining(", "));
    throw new IllegalArgumentException(
        "unknown " + type.getSimpleName() + " '" + code + "'; expected one of: " + allowed);
  }
}
