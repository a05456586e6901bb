package dev.vct.engine.tokenizer;

import java.util.Locale;

/** Python's str semantics where the CLIP reference code relies on them and Java differs. */
final class PythonStrings {

  private static final char CAPITAL_SIGMA = '\u03a3';

  private PythonStrings() {}

  /**
   * {@code str.lower()}: full case mapping, with Python's Final_Sigma rule (Java decides final
   * sigma by word boundaries and so differs, e.g. on "ßΣ8").
   */
  static String lower(String text) {
    if (text.indexOf(CAPITAL_SIGMA) < 0) {
      return text.toLowerCase(Locale.ROOT);
    }
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (cp == CAPITAL_SIGMA) {
        out.append(isFinalSigma(text, i) ? '\u03c2' : '\u03c3');
      } else {
        // Without the sigma, ROOT-locale lower-casing has no context: per code point is exact.
        out.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
      }
      i += Character.charCount(cp);
    }
    return out.toString();
  }

  /** cased case-ignorable* SIGMA !(case-ignorable* cased), as CPython's handle_capital_sigma. */
  private static boolean isFinalSigma(String text, int index) {
    int j = index;
    int before = -1;
    while (j > 0) {
      int cp = text.codePointBefore(j);
      j -= Character.charCount(cp);
      if (!isCaseIgnorable(cp)) {
        before = cp;
        break;
      }
    }
    if (before < 0 || !isCased(before)) {
      return false;
    }
    j = index + 1;
    while (j < text.length()) {
      int cp = text.codePointAt(j);
      j += Character.charCount(cp);
      if (!isCaseIgnorable(cp)) {
        return !isCased(cp);
      }
    }
    return true;
  }

  private static boolean isCased(int cp) {
    return Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp);
  }

  private static boolean isCaseIgnorable(int cp) {
    switch (Character.getType(cp)) {
      case Character.NON_SPACING_MARK,
          Character.ENCLOSING_MARK,
          Character.FORMAT,
          Character.MODIFIER_LETTER,
          Character.MODIFIER_SYMBOL:
        return true;
      default:
        // Word_Break MidLetter, MidNumLet and Single_Quote.
        return switch (cp) {
          case 0x27,
                  0x2E,
                  0x3A,
                  0xB7,
                  0x387,
                  0x55F,
                  0x5F4,
                  0x2018,
                  0x2019,
                  0x2024,
                  0x2027,
                  0xFE13,
                  0xFE52,
                  0xFE55,
                  0xFF07,
                  0xFF0E,
                  0xFF1A ->
              true;
          default -> false;
        };
    }
  }

  /** {@code re.sub(r"\s+", " ", text).strip()} with Python's notion of whitespace. */
  static String whitespaceClean(String text) {
    StringBuilder out = new StringBuilder(text.length());
    boolean pendingSpace = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (isSpace(cp)) {
        pendingSpace = out.length() > 0;
      } else {
        if (pendingSpace) {
          out.append(' ');
          pendingSpace = false;
        }
        out.appendCodePoint(cp);
      }
    }
    return out.toString();
  }

  /** {@code str.isspace()} for one code point. */
  static boolean isSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D)
        || (cp >= 0x1C && cp <= 0x1F)
        || cp == 0x85
        || Character.getType(cp) == Character.SPACE_SEPARATOR
        || cp == 0x2028
        || cp == 0x2029;
  }
}
