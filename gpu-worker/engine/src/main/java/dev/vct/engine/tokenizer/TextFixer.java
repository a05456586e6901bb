package dev.vct.engine.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ftfy.fix_text} (ftfy 6.1, default configuration), which both CLIP tokenizers run on every
 * prompt: HTML entities (unless the line holds a '&lt;'), mojibake repair (UTF-8 read as a
 * single-byte code page), C1 controls, Latin ligatures, full-width forms, curly quotes, line
 * breaks, lone surrogates, terminal escapes, invisible control characters, NFC. Each line is fixed
 * on its own, and each line is fixed repeatedly until it stops changing, as ftfy does.
 */
final class TextFixer {

  /** A single-byte code page: the characters of bytes 0x80..0xFF, and which byte 0x1A means. */
  private record Charmap(String name, char[] high, boolean sloppy, Map<Character, Byte> encoder) {

    /** The bytes of {@code text} in this code page, or null when some character has none. */
    byte[] encode(String text) {
      byte[] out = new byte[text.length()];
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c < 0x80 && c != 0x1A) {
          out[i] = (byte) c;
        } else {
          Byte b = encoder.get(c);
          if (b == null) {
            return null;
          }
          out[i] = b;
        }
      }
      return out;
    }

    static Charmap of(String name, char[] high) {
      boolean sloppy = name.startsWith("sloppy-");
      Map<Character, Byte> encoder = new HashMap<>();
      for (int b = 0x80; b <= 0xFF; b++) {
        encoder.put(high[b - 0x80], (byte) b);
      }
      // Sloppy codecs stand byte 0x1A for a character lost as U+FFFD.
      encoder.put(sloppy ? '\uFFFD' : '\u001A', (byte) 0x1A);
      return new Charmap(name, high, sloppy, Map.copyOf(encoder));
    }
  }

  /** The code pages ftfy tries, in its order (latin-1 first). */
  private static final List<Charmap> CHARMAPS = loadCharmaps();

  private static final Charmap LATIN_1 = CHARMAPS.get(0);
  private static final Charmap SLOPPY_WINDOWS_1252 = CHARMAPS.get(1);

  // Character classes of ftfy's mojibake heuristic (badness.py).
  private static final String COMMON = "\u00a0\u00ad\u00b7\u00b4\u2013\u2014\u2015\u2026\u2019";
  private static final String C1 = "\u0080-\u009f";
  private static final String BAD =
      "\u00a6\u00a4\u00a8\u00ac\u00af\u00b6\u00a7\u00b8\u0192\u02c6\u02c7\u02d8\u02db\u02dc"
          + "\u2020\u2021\u2030\u2310\u25ca\ufffd\u00aa\u00ba";
  private static final String CURRENCY = "\u00a2\u00a3\u00a5\u20a7\u20ac";
  private static final String START_PUNCTUATION =
      "\u00a1\u00ab\u00bf\u00a9\u0384\u0385\u2018\u201a\u201c\u201e\u2022\u2039\uf8ff";
  private static final String END_PUNCTUATION = "\u00ae\u00bb\u02dd\u201d\u203a\u2122";
  private static final String NUMERIC =
      "\u00b2\u00b3\u00b9\u00b1\u00bc\u00bd\u00be\u00d7\u00b5\u00f7\u2044\u2202\u2206\u220f"
          + "\u2211\u221a\u221e\u2229\u222b\u2248\u2260\u2261\u2264\u2265\u2116";
  private static final String KAOMOJI =
      "\u00d2-\u00d6\u00d9-\u00dc\u00f2-\u00f6\u00f8-\u00fc\u0150\u00b0";
  private static final String UPPER_ACCENTED =
      "\u00c0-\u00d1\u00d8\u00dc\u00dd\u0102\u0104\u0106\u010c\u010e\u0110\u0118\u011a\u011e"
          + "\u0130\u0139\u013d\u0141\u0143\u0147\u0152\u0158\u015a\u015e\u0160\u0162\u0164"
          + "\u016e\u0170\u0178\u0179\u017b\u017d\u0490";
  private static final String LOWER_ACCENTED =
      "\u00df\u00e0-\u00f1\u0103\u0105\u0107\u010d\u010f\u0111\u0119\u011b\u011f\u013a\u013e"
          + "\u0142\u0153\u0155\u015b\u015f\u0161\u0165\u00fc\u017a\u017c\u017e\u0491\ufb01\ufb02";
  private static final String UPPER_COMMON =
      "\u00de\u0391-\u03a9\u0386\u0388\u0389\u038a\u038c\u038e\u038f\u03aa\u03ab\u0401-\u042f";
  private static final String LOWER_COMMON =
      "\u03b1-\u03c9\u03ac\u03ad\u03ae\u03af\u03b0\u0430-\u045f";
  private static final String BOX =
      "\u2502\u250c\u2510\u2518\u251c\u2524\u252c\u253c\u2550-\u256c\u2580\u2584\u2588\u258c"
          + "\u2590\u2591\u2592\u2593";

  /** Python's {@code \s} (str.isspace) and {@code \w} (str.isalnum or '_'). */
  private static final String PY_SPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f\\x85\\p{Zs}\u2028\u2029]";

  private static final String PY_WORD = "[\\p{L}\\p{N}_]";

  /** ftfy's BADNESS_RE: juxtapositions of characters that are far likelier mojibake than text. */
  private static final Pattern BADNESS =
      Pattern.compile(
          String.join(
              "|",
              cls(C1),
              cls(
                      BAD
                          + LOWER_ACCENTED
                          + UPPER_ACCENTED
                          + BOX
                          + START_PUNCTUATION
                          + END_PUNCTUATION
                          + CURRENCY
                          + NUMERIC)
                  + cls(BAD),
              "[a-zA-Z]" + cls(LOWER_COMMON + UPPER_COMMON) + cls(BAD),
              cls(BAD)
                  + cls(
                      LOWER_ACCENTED
                          + UPPER_ACCENTED
                          + BOX
                          + START_PUNCTUATION
                          + END_PUNCTUATION
                          + CURRENCY
                          + NUMERIC),
              cls(LOWER_ACCENTED + LOWER_COMMON + BOX + END_PUNCTUATION + CURRENCY + NUMERIC)
                  + cls(UPPER_ACCENTED),
              cls(BOX + END_PUNCTUATION + CURRENCY + NUMERIC) + cls(LOWER_ACCENTED),
              cls(LOWER_ACCENTED + BOX + END_PUNCTUATION) + cls(CURRENCY),
              PY_SPACE + cls(UPPER_ACCENTED) + cls(CURRENCY),
              cls(UPPER_ACCENTED + BOX) + cls(NUMERIC),
              cls(LOWER_ACCENTED + UPPER_ACCENTED + BOX + CURRENCY + END_PUNCTUATION)
                  + cls(START_PUNCTUATION)
                  + cls(NUMERIC),
              cls(LOWER_ACCENTED + UPPER_ACCENTED + CURRENCY + NUMERIC + BOX)
                  + cls(END_PUNCTUATION)
                  + cls(START_PUNCTUATION),
              cls(CURRENCY + NUMERIC + BOX) + cls(START_PUNCTUATION),
              "[a-z]" + cls(UPPER_ACCENTED) + cls(START_PUNCTUATION + CURRENCY),
              cls(BOX) + cls(KAOMOJI),
              cls(
                      LOWER_ACCENTED
                          + UPPER_ACCENTED
                          + CURRENCY
                          + NUMERIC
                          + START_PUNCTUATION
                          + END_PUNCTUATION)
                  + cls(BOX),
              cls(BOX) + cls(END_PUNCTUATION),
              cls(LOWER_ACCENTED + UPPER_ACCENTED) + cls(END_PUNCTUATION) + PY_WORD,
              // the ligature oe when not followed by an unaccented Latin letter
              "[\u0152\u0153][^A-Za-z]",
              // common Windows-1252 two-character mojibake not covered above
              "[\u00c2\u00c3\u00ce\u00d0]"
                  + cls(
                      "\u20ac\u0160\u0161\u00a2\u00a3\u0178\u017e\u00a0\u00ad\u00ae\u00a9\u00b0\u00b7\u00bb"
                          + START_PUNCTUATION
                          + END_PUNCTUATION
                          + "\u2013\u2014\u00b4"),
              "\u00d7[\u00b2\u00b3]",
              // Windows-1252 mojibake of Arabic: four characters
              "[\u00d8\u00d9]"
                  + cls(
                      COMMON
                          + CURRENCY
                          + BAD
                          + NUMERIC
                          + START_PUNCTUATION
                          + "\u0178\u0160\u00ae\u00b0\u00b5\u00bb")
                  + "[\u00d8\u00d9]"
                  + cls(
                      COMMON
                          + CURRENCY
                          + BAD
                          + NUMERIC
                          + START_PUNCTUATION
                          + "\u0178\u0160\u00ae\u00b0\u00b5\u00bb"),
              // start of three-character sequences of South Asian scripts
              "\u00e0[\u00b2\u00b5\u00b9\u00bc\u00bd\u00be]",
              // MacRoman mojibake
              "\u221a[\u00b1\u2202\u2020\u2260\u00ae\u2122\u00b4\u2264\u2265\u00a5\u00b5\u00f8]",
              "\u2248[\u00b0\u00a2]",
              "\u201a\u00c4[\u00ec\u00ee\u00ef\u00f2\u00f4\u00fa\u00f9\u00fb\u2020\u00b0\u00a2\u03c0]",
              "\u201a[\u00e2\u00f3][\u00e0\u00e4\u00b0\u00ea]",
              // Windows-1251 mojibake of the U+2000 range, of Latin-1 and Cyrillic
              "\u0432\u0402",
              "[\u0412\u0413\u0420\u0421]"
                  + cls(C1 + BAD + START_PUNCTUATION + END_PUNCTUATION + CURRENCY + "\u00b0\u00b5")
                  + "[\u0412\u0413\u0420\u0421]",
              "\u0413\u045e\u0412\u0402\u0412.[A-Za-z ]",
              // Windows-1252 encodings of a-grave, a-acute and no-break space itself
              "\u00c3[\u00a0\u00a1]",
              "[a-z]" + PY_SPACE + "?[\u00c3\u00c2][ ]",
              "^[\u00c3\u00c2][ ]",
              "[a-z.,?!"
                  + END_PUNCTUATION
                  + "]\u00c2[ "
                  + START_PUNCTUATION
                  + END_PUNCTUATION
                  + "]",
              // Windows-1253 mojibake
              "\u03b2\u20ac[\u2122\u00a0\u0386\u00ad\u00ae\u00b0]",
              "[\u0392\u0393\u039e\u039f]"
                  + cls(C1 + BAD + START_PUNCTUATION + END_PUNCTUATION + CURRENCY + "\u00b0")
                  + "[\u0392\u0393\u039e\u039f]"),
          Pattern.UNIX_LINES);

  // Character classes that point at embedded UTF-8 mojibake (chardata.py UTF8_CLUES).
  private static final String UTF8_FIRST_OF_2 =
      "\u00c2-\u00df\u0102\u0106\u010c\u010e\u0110\u0118\u011a\u011e\u0130\u0139\u0143\u0147"
          + "\u0150\u0158\u015e\u0162\u016e\u0170\u0392-\u03a1\u03a3-\u03af\u0412-\u042f";
  private static final String UTF8_FIRST_OF_3 =
      "\u00e0-\u00ef\u0103\u0107\u010d\u010f\u0119\u011b\u013a\u0155\u03b0-\u03bf\u0430-\u043f";
  private static final String UTF8_FIRST_OF_4 = "\u00f0\u00f3\u0111\u011f\u03c0\u03c3\u0440\u0443";
  private static final String UTF8_CONTINUATION_STRICT =
      "\u0080-\u00bf\u0104\u0105\u013d\u013e\u0141\u0142\u0152\u0153\u015a\u015b\u015e\u015f"
          + "\u0160\u0161\u0164\u0165\u0178\u0179\u017a\u017b\u017c\u017d\u017e\u0192\u02c6\u02c7"
          + "\u02d8\u02db\u02dc\u02dd\u0384\u0385\u0386\u0388\u0389\u038a\u038c\u038e\u038f"
          + "\u0401-\u040c\u040e\u040f\u0451-\u045c\u045e\u045f\u0490\u0491"
          + "\u2020\u2021\u2022\u2030\u2039\u203a\u20ac\u2116\u2122";
  private static final String UTF8_CONTINUATION =
      UTF8_CONTINUATION_STRICT + "\u2013\u2014\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u2026 ";

  private static final Pattern UTF8_DETECTOR =
      Pattern.compile(
          "(?<!"
              + cls(UTF8_CONTINUATION_STRICT)
              + ")(?:"
              + cls(UTF8_FIRST_OF_2)
              + cls(UTF8_CONTINUATION)
              + "|"
              + cls(UTF8_FIRST_OF_3)
              + cls(UTF8_CONTINUATION)
              + "{2}|"
              + cls(UTF8_FIRST_OF_4)
              + cls(UTF8_CONTINUATION)
              + "{3})+");

  // Byte-level patterns run on a byte[] viewed as Latin-1 text (one char per byte).
  private static final Pattern ALTERED_UTF8 =
      Pattern.compile(
          "[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9][ ]"
              + "|[\\xe2\\xe3][ ][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]"
              + "|[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf][ ]"
              + "|[\\xf0][ ][\\x80-\\xbf][\\x80-\\xbf]"
              + "|[\\xf0][\\x80-\\xbf][ ][\\x80-\\xbf]"
              + "|[\\xf0][\\x80-\\xbf][\\x80-\\xbf][ ]");

  /** "Ã la mode": keep the space when restoring the no-break space after 0xC3. */
  private static final Pattern A_GRAVE_WORD = Pattern.compile("\\xc3 (?! |quele|quela|quilo|s )");

  /** UTF-8 sequences whose continuation bytes were lost as '?' or (sloppy) 0x1A. */
  private static final Pattern LOSSY_UTF8 =
      Pattern.compile(
          "[\\xc2-\\xdf][\\x1a]"
              + "|[\\xc2-\\xc3][?]"
              + "|\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]"
              + "|\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]"
              + "|[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]"
              + "|[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]"
              + "|[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]"
              + "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]"
              + "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]"
              + "|\\x1a");

  /** U+FFFD in UTF-8, as Latin-1 text. */
  private static final String UTF8_REPLACEMENT_BYTES = "\u00ef\u00bf\u00bd";

  private static final Pattern C1_CONTROL = Pattern.compile("[\\x80-\\x9f]");
  private static final Pattern ANSI_ESCAPE = Pattern.compile("\\x1b\\[((?:\\p{Nd}|;)*)([a-zA-Z])");

  private static final Map<Integer, String> LIGATURES =
      Map.ofEntries(
          Map.entry((int) '\u0132', "IJ"),
          Map.entry((int) '\u0133', "ij"),
          Map.entry((int) '\u0149', "\u02bcn"),
          Map.entry((int) '\u01f1', "DZ"),
          Map.entry((int) '\u01f2', "Dz"),
          Map.entry((int) '\u01f3', "dz"),
          Map.entry((int) '\u01c4', "D\u017d"),
          Map.entry((int) '\u01c5', "D\u017e"),
          Map.entry((int) '\u01c6', "d\u017e"),
          Map.entry((int) '\u01c7', "LJ"),
          Map.entry((int) '\u01c8', "Lj"),
          Map.entry((int) '\u01c9', "lj"),
          Map.entry((int) '\u01ca', "NJ"),
          Map.entry((int) '\u01cb', "Nj"),
          Map.entry((int) '\u01cc', "nj"),
          Map.entry((int) '\ufb00', "ff"),
          Map.entry((int) '\ufb01', "fi"),
          Map.entry((int) '\ufb02', "fl"),
          Map.entry((int) '\ufb03', "ffi"),
          Map.entry((int) '\ufb04', "ffl"),
          Map.entry((int) '\ufb05', "\u017ft"),
          Map.entry((int) '\ufb06', "st"));

  private TextFixer() {}

  /** {@code ftfy.fix_text(text)}. */
  static String fixText(String text) {
    StringBuilder out = new StringBuilder(text.length());
    // "auto": entities are decoded until a line holding '<' shows the text is real HTML.
    boolean unescapeHtml = true;
    int pos = 0;
    while (pos < text.length()) {
      int newline = text.indexOf('\n', pos);
      int end = newline < 0 ? text.length() : newline + 1;
      String segment = text.substring(pos, end);
      if (unescapeHtml && segment.indexOf('<') >= 0) {
        unescapeHtml = false;
      }
      out.append(fixSegment(segment, unescapeHtml));
      pos = end;
    }
    return out.toString();
  }

  private static String fixSegment(String text, boolean unescapeHtml) {
    while (true) {
      String original = text;
      if (unescapeHtml) {
        text = HtmlEntities.ftfyUnescape(text);
      }
      text = fixEncoding(text);
      text = fixC1Controls(text);
      text = translate(text, LIGATURES);
      text = fixCharacterWidth(text);
      text = uncurlQuotes(text);
      text =
          text.replace("\r\n", "\n")
              .replace('\r', '\n')
              .replace('\u2028', '\n')
              .replace('\u2029', '\n')
              .replace('\u0085', '\n');
      text = fixSurrogates(text);
      text = ANSI_ESCAPE.matcher(text).replaceAll("");
      text = removeControlChars(text);
      text = Normalizer.normalize(text, Normalizer.Form.NFC);
      if (text.equals(original)) {
        return text;
      }
    }
  }

  /** {@code ftfy.fix_encoding}: repair mojibake step by step until nothing changes. */
  static String fixEncoding(String text) {
    while (true) {
      String previous = text;
      text = fixEncodingOneStep(text);
      if (text.equals(previous)) {
        return text;
      }
    }
  }

  static boolean isBad(String text) {
    return BADNESS.matcher(text).find();
  }

  private static String fixEncodingOneStep(String text) {
    if (text.isEmpty() || isAscii(text) || !isBad(text)) {
      return text;
    }
    boolean latin1Possible = false;
    // Most likely: UTF-8 that was decoded with a single-byte code page.
    for (Charmap charmap : CHARMAPS) {
      byte[] encoded = charmap.encode(text);
      if (encoded == null) {
        continue;
      }
      latin1Possible |= charmap == LATIN_1;
      String bytes = new String(encoded, StandardCharsets.ISO_8859_1);
      if (ALTERED_UTF8.matcher(bytes).find()) {
        bytes = restoreByteA0(bytes);
      }
      if (charmap.sloppy()) {
        bytes = LOSSY_UTF8.matcher(bytes).replaceAll(UTF8_REPLACEMENT_BYTES);
      }
      String fixed = decodeUtf8Variants(bytes.getBytes(StandardCharsets.ISO_8859_1));
      if (fixed != null) {
        return fixed;
      }
    }
    // Pieces of UTF-8 mojibake inside otherwise consistent text.
    if (UTF8_DETECTOR.matcher(text).find()) {
      String fixed = decodeInconsistentUtf8(text);
      if (!fixed.equals(text)) {
        return fixed;
      }
    }
    // Latin-1 characters outside Windows-1252 are C1 controls: read them as Windows-1252.
    // (ftfy's "windows-1252 also possible" test compares against a name it never records.)
    if (latin1Possible) {
      String fixed = decodeStrictWindows1252(LATIN_1.encode(text));
      if (fixed != null && !fixed.equals(text)) {
        return fixed;
      }
    }
    if (C1_CONTROL.matcher(text).find()) {
      return fixC1Controls(text);
    }
    return text;
  }

  private static String decodeInconsistentUtf8(String text) {
    int length = text.codePointCount(0, text.length());
    Matcher m = UTF8_DETECTOR.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (m.find()) {
      String piece = m.group();
      String replacement =
          piece.codePointCount(0, piece.length()) < length && isBad(piece)
              ? fixEncoding(piece)
              : piece;
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Bytes (as Latin-1 text) where a no-break space 0xA0 was flattened into 0x20. */
  private static String restoreByteA0(String bytes) {
    bytes = A_GRAVE_WORD.matcher(bytes).replaceAll("\u00c3\u00a0 ");
    Matcher m = ALTERED_UTF8.matcher(bytes);
    StringBuilder out = new StringBuilder(bytes.length());
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(m.group().replace(' ', '\u00a0')));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * Strict UTF-8, plus the variants ftfy accepts when a 0xED or 0xC0 byte is present: CESU-8
   * surrogate pairs and Java's two-byte NUL. Null when the bytes do not decode.
   */
  private static String decodeUtf8Variants(byte[] bytes) {
    StringBuilder out = new StringBuilder(bytes.length);
    int start = 0;
    int i = 0;
    while (i < bytes.length) {
      int special = specialSequenceLength(bytes, i);
      if (special == 0) {
        i++;
        continue;
      }
      if (!appendUtf8(bytes, start, i, out)) {
        return null;
      }
      if (special == 2) {
        out.append('\u0000');
      } else {
        char high = (char) (0xD000 | (bytes[i + 1] & 0x3F) << 6 | (bytes[i + 2] & 0x3F));
        char low = (char) (0xD000 | (bytes[i + 4] & 0x3F) << 6 | (bytes[i + 5] & 0x3F));
        out.append(high).append(low);
      }
      i += special;
      start = i;
    }
    return appendUtf8(bytes, start, bytes.length, out) ? out.toString() : null;
  }

  /** 2 for C0 80 (NUL), 6 for a CESU-8 surrogate pair, 0 otherwise. */
  private static int specialSequenceLength(byte[] b, int i) {
    int first = b[i] & 0xFF;
    if (first == 0xC0 && i + 1 < b.length && (b[i + 1] & 0xFF) == 0x80) {
      return 2;
    }
    if (first == 0xED
        && i + 5 < b.length
        && inRange(b[i + 1], 0xA0, 0xAF)
        && inRange(b[i + 2], 0x80, 0xBF)
        && (b[i + 3] & 0xFF) == 0xED
        && inRange(b[i + 4], 0xB0, 0xBF)
        && inRange(b[i + 5], 0x80, 0xBF)) {
      return 6;
    }
    return 0;
  }

  private static boolean inRange(byte b, int lo, int hi) {
    int v = b & 0xFF;
    return v >= lo && v <= hi;
  }

  private static boolean appendUtf8(byte[] bytes, int from, int to, StringBuilder out) {
    if (from == to) {
      return true;
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      out.append(decoder.decode(ByteBuffer.wrap(bytes, from, to - from)));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static String decodeStrictWindows1252(byte[] bytes) {
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte value : bytes) {
      int b = value & 0xFF;
      if (b < 0x80) {
        out.append((char) b);
        continue;
      }
      char c = SLOPPY_WINDOWS_1252.high()[b - 0x80];
      if (b <= 0x9F && c == b) {
        return null; // a hole of Windows-1252
      }
      out.append(c);
    }
    return out.toString();
  }

  /** The character Windows-1252 gives byte {@code b} (0x80..0xFF), holes read as Latin-1. */
  static char sloppyWindows1252(int b) {
    return SLOPPY_WINDOWS_1252.high()[b - 0x80];
  }

  private static String fixC1Controls(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x80 && c <= 0x9F) {
        if (out == null) {
          out = new StringBuilder(text);
        }
        out.setCharAt(i, sloppyWindows1252(c));
      }
    }
    return out == null ? text : out.toString();
  }

  private static String fixCharacterWidth(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\u3000') {
        out.append(' ');
      } else if (c >= '\uFF01' && c <= '\uFFEF') {
        out.append(Normalizer.normalize(String.valueOf(c), Normalizer.Form.NFKC));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String uncurlQuotes(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\u02bc' || (c >= '\u2018' && c <= '\u201b')) {
        out.append('\'');
      } else if (c >= '\u201c' && c <= '\u201f') {
        out.append('"');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Lone UTF-16 surrogates become U+FFFD (pairs are already one code point in Java). */
  private static String fixSurrogates(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        out.append('\uFFFD');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String removeControlChars(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean control =
          c <= 0x08
              || c == 0x0B
              || (c >= 0x0E && c <= 0x1F)
              || c == 0x7F
              || (c >= 0x206A && c <= 0x206F)
              || c == 0xFEFF
              || (c >= 0xFFF9 && c <= 0xFFFC);
      if (!control) {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String translate(String text, Map<Integer, String> table) {
    StringBuilder out = new StringBuilder(text.length());
    text.codePoints()
        .forEach(
            cp -> {
              String mapped = table.get(cp);
              if (mapped == null) {
                out.appendCodePoint(cp);
              } else {
                out.append(mapped);
              }
            });
    return out.toString();
  }

  private static boolean isAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) > 0x7F) {
        return false;
      }
    }
    return true;
  }

  private static String cls(String members) {
    return "[" + members + "]";
  }

  private static List<Charmap> loadCharmaps() {
    List<Charmap> charmaps = new ArrayList<>();
    try (InputStream in = TextFixer.class.getResourceAsStream("charmaps.txt")) {
      if (in == null) {
        throw new IllegalStateException("resource charmaps.txt is missing from the jar");
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.split(" ");
        if (parts.length != 129) {
          throw new IllegalStateException("charmaps.txt: " + parts[0] + " lacks 128 characters");
        }
        char[] high = new char[128];
        for (int i = 0; i < 128; i++) {
          high[i] = (char) Integer.parseInt(parts[i + 1], 16);
        }
        charmaps.add(Charmap.of(parts[0], high));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read charmaps.txt", e);
    }
    return List.copyOf(charmaps);
  }
}
