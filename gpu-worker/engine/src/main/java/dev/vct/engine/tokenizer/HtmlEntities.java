package dev.vct.engine.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two HTML un-escapers CLIP's text cleanup runs: Python's {@code html.unescape} (applied twice
 * by OpenAI CLIP's {@code basic_clean}) and ftfy's stricter {@code unescape_html} (part of {@code
 * ftfy.fix_text}).
 */
final class HtmlEntities {

  // html.unescape: numeric references with or without ';', named ones up to 32 characters.
  private static final Pattern CHARREF =
      Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");

  // ftfy only touches references that end in ';'.
  private static final Pattern FTFY_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");

  private static final BigInteger MAX_CODE_POINT = BigInteger.valueOf(0x10FFFF);

  /** name (with ';' where the standard has one) -> replacement text, as html.entities.html5. */
  private static final Map<String, String> HTML5 = loadHtml5();

  /** ftfy's table: "&name;" entities, plus upper-cased names that Python would leave alone. */
  private static final Map<String, String> FTFY = buildFtfyTable();

  private HtmlEntities() {}

  /** Python's {@code html.unescape}. */
  static String unescape(String s) {
    if (s.indexOf('&') < 0) {
      return s;
    }
    Matcher m = CHARREF.matcher(s);
    StringBuilder out = new StringBuilder(s.length());
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(replaceCharref(m.group(1))));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** ftfy 6.1's {@code fixes.unescape_html}. */
  static String ftfyUnescape(String s) {
    if (s.indexOf('&') < 0) {
      return s;
    }
    Matcher m = FTFY_ENTITY.matcher(s);
    StringBuilder out = new StringBuilder(s.length());
    while (m.find()) {
      String entity = m.group();
      String replacement = FTFY.get(entity);
      if (replacement == null) {
        replacement = entity;
        if (entity.startsWith("&#")) {
          String unescaped = unescape(entity);
          // Only a reference that consumed its ';' counts.
          if (unescaped.indexOf(';') < 0) {
            replacement = unescaped;
          }
        }
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String replaceCharref(String ref) {
    if (ref.charAt(0) == '#') {
      boolean hex = ref.length() > 1 && (ref.charAt(1) == 'x' || ref.charAt(1) == 'X');
      String digits = ref.substring(hex ? 2 : 1);
      if (digits.endsWith(";")) {
        digits = digits.substring(0, digits.length() - 1);
      }
      return numericReference(new BigInteger(digits, hex ? 16 : 10));
    }
    String value = HTML5.get(ref);
    if (value != null) {
      return value;
    }
    // The longest known prefix wins (legacy references such as "&ampx" or "&notit;").
    for (int x = ref.length() - 1; x > 1; x--) {
      value = HTML5.get(ref.substring(0, x));
      if (value != null) {
        return value + ref.substring(x);
      }
    }
    return "&" + ref;
  }

  private static String numericReference(BigInteger number) {
    if (number.compareTo(MAX_CODE_POINT) > 0) {
      return "\uFFFD";
    }
    int cp = number.intValue();
    if (cp == 0x00) {
      return "\uFFFD";
    }
    if (cp == 0x0D) {
      return "\r";
    }
    if (cp >= 0x80 && cp <= 0x9F) {
      // HTML5 reads these as Windows-1252 (holes stay themselves).
      return String.valueOf(TextFixer.sloppyWindows1252(cp));
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      return "\uFFFD";
    }
    if (isInvalidCodePoint(cp)) {
      return "";
    }
    return new String(Character.toChars(cp));
  }

  /** Python's html._invalid_codepoints (0x80-0x9F are handled before). */
  private static boolean isInvalidCodePoint(int cp) {
    return (cp >= 0x01 && cp <= 0x08)
        || cp == 0x0B
        || (cp >= 0x0E && cp <= 0x1F)
        || cp == 0x7F
        || (cp >= 0xFDD0 && cp <= 0xFDEF)
        || (cp & 0xFFFE) == 0xFFFE;
  }

  private static Map<String, String> loadHtml5() {
    Map<String, String> table = new HashMap<>(4096);
    try (InputStream in = HtmlEntities.class.getResourceAsStream("html5-entities.txt")) {
      if (in == null) {
        throw new IllegalStateException("resource html5-entities.txt is missing from the jar");
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.split(" ");
        StringBuilder value = new StringBuilder();
        for (int i = 1; i < parts.length; i++) {
          value.appendCodePoint(Integer.parseInt(parts[i], 16));
        }
        table.put(parts[0], value.toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read html5-entities.txt", e);
    }
    return table;
  }

  private static Map<String, String> buildFtfyTable() {
    Map<String, String> table = new HashMap<>(4096);
    for (Map.Entry<String, String> e : HTML5.entrySet()) {
      String name = e.getKey();
      if (!name.endsWith(";")) {
        continue;
      }
      table.put("&" + name, e.getValue());
      if (name.equals(name.toLowerCase(Locale.ROOT))) {
        String upper = "&" + name.toUpperCase(Locale.ROOT);
        if (unescape(upper).equals(upper)) {
          table.put(upper, e.getValue().toUpperCase(Locale.ROOT));
        }
      }
    }
    return table;
  }
}
