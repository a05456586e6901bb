package dev.vct.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ftfy 6.1.1 {@code fix_text} and Python {@code html.unescape}; expectations from the originals.
 */
class TextFixerTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        // UTF-8 read as Windows-1252 / Latin-1, also twice over
        "cafÃ© mojibake | café mojibake",
        "âœ” No problems | ✔ No problems",
        "sÃ³ | só",
        "ÃƒÂ© | é",
        // a no-break space flattened to a space, and the "à la" exception
        "voilÃ le travail | voilà le travail",
        "the Ã la mode | the à la mode",
        // bytes lost as U+FFFD, curly quotes straightened afterwards
        "â€œ like this â€\uFFFD | `\" like this \uFFFD`",
        // text that merely looks unusual stays as it is
        "café naïve résumé | café naïve résumé",
        "Ω≈ç√∫ math ∑∞ | Ω≈ç√∫ math ∑∞",
        // entities: semicolon forms only, some upper-cased ones, not "&not" without ';'
        "Broken text&hellip; it&#x2019;s ﬂubberiﬁc! | Broken text… it's flubberific!",
        "&ntilde; &Ntilde; &NTILDE; &nTILDE; | ñ Ñ Ñ &nTILDE;",
        "P&EACUTE;REZ | PÉREZ",
        "this&not that | this&not that",
        // full width, C1 controls read as Windows-1252, combining accent composed (NFC)
        "ＬＯＵＤ　ＮＯＩＳＥＳ | LOUD NOISES",
        "a\u0085b | a…b",
        "e\u0301 | é",
      })
  void fixTextMatchesFtfy(String input, String expected) {
    assertEquals(expected, TextFixer.fixText(input));
  }

  @Test
  void entitiesStayOnceALineShowsRealHtml() {
    // From the line holding '<' on, ftfy stops decoding entities (also in later lines).
    assertEquals(
        "café <b>&amp;</b>\n&amp; next", TextFixer.fixText("cafÃ© <b>&amp;</b>\n&amp; next"));
    assertEquals("& <tag>", TextFixer.fixText("&amp; &lt;tag&gt;"));
  }

  @Test
  void terminalEscapesGoAndLineBreaksBecomeNewlines() {
    assertEquals("blue\nnext\nx", TextFixer.fixText("\u001b[36mblue\u001b[0m\r\nnext\u2028x"));
  }

  @Test
  void pythonHtmlUnescapeHandlesLegacyAndNumericReferences() {
    assertEquals(
        "&lt; &x ¬it; A \uFFFD €  \uFFFD",
        HtmlEntities.unescape("&amp;lt; &ampx &notit; &#x41; &#0; &#128; &#1; &#x110000;"));
  }

  @Test
  void lowerCaseFollowsPythonsFinalSigmaRule() {
    assertEquals("σας σας. ßς8 aσ'a", PythonStrings.lower("ΣΑΣ ΣΑΣ. ßΣ8 AΣ'a"));
  }
}
