package dev.vct.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Behaviour beyond the fixture strings, on the real CLIP vocabulary and the 1000-entry one. */
class ClipTokenizerTest {

  private static ClipTokenizer clip;
  private static ClipTokenizer tiny;

  @BeforeAll
  static void loadVocabularies() throws IOException {
    String property = System.getProperty("vct.fixtures.dir", "");
    Path root = Path.of(property.isEmpty() ? "vct.fixtures.dir-not-set" : property);
    Assumptions.assumeTrue(
        Files.isDirectory(root.resolve("clip_tokenizer")),
        "oracle fixtures (CLIP vocabularies) not found at " + root.toAbsolutePath());
    clip = ClipTokenizer.load(root.resolve("clip_tokenizer"));
    tiny = ClipTokenizer.load(root.resolve("clip_tokenizer_tiny"));
  }

  @Test
  void emptyTextIsStartEndThenPadding() {
    TokenizedPrompt prompt = clip.encode("");
    long[] ids = prompt.ids();
    assertEquals(ClipTokenizer.CONTEXT_LENGTH, ids.length);
    assertEquals(49406, ids[0]);
    assertTrue(Arrays.stream(ids, 1, ids.length).allMatch(id -> id == 49407));
    assertEquals(2, prompt.tokenCount());
    assertEquals(List.of(1L, 1L, 0L), boxed(Arrays.copyOf(prompt.attentionMask(), 3)));

    long[] openai = clip.encodeOpenAi("   \n\t ");
    assertEquals(List.of(49406L, 49407L, 0L), boxed(Arrays.copyOf(openai, 3)));
    assertTrue(Arrays.stream(openai, 2, openai.length).allMatch(id -> id == 0));
    assertEquals(0, clip.tokenIds("").length);
  }

  @Test
  void longTextKeepsItsFirst75TokensAndEndsWithEos() {
    String text = "a red fox jumps over the lazy dog ".repeat(12);
    int[] tokens = clip.tokenIds(text);
    assertEquals(96, tokens.length);

    TokenizedPrompt sd = clip.encode(text);
    long[] ids = sd.ids();
    assertEquals(49406, ids[0]);
    for (int i = 0; i < 75; i++) {
      assertEquals(tokens[i], ids[i + 1], "token " + i);
    }
    assertEquals(49407, ids[76]);
    assertEquals(77, sd.tokenCount());

    // OpenAI keeps 77 ids and overwrites the last one with EOT: the same ids here.
    assertArrayEquals(ids, clip.encodeOpenAi(text));
  }

  @Test
  void unknownUnicodeFallsBackToByteSymbols() {
    // A private-use character: no word of the vocabulary, three UTF-8 bytes.
    String text = "\uE000";
    List<String> symbols = clip.bpeTokens(text);
    assertEquals(String.join("", symbols), "\u00ee\u0122\u0122</w>", "bytes EE 80 80");
    int[] ids = clip.tokenIds(text);
    assertTrue(ids.length >= 1 && ids.length <= 3);
    assertTrue(Arrays.stream(ids).allMatch(id -> id >= 0 && id < 49406), "not special/unknown");

    // The 486-merge vocabulary has every single byte, so even CJK needs no unknown token.
    int[] tinyIds = tiny.tokenIds("日本語 🐱 \uE000");
    assertTrue(tinyIds.length >= 10);
    assertTrue(Arrays.stream(tinyIds).allMatch(id -> id < tiny.bosId()));
  }

  @Test
  void cleanupIgnoresCaseWhitespaceAndRepairsMojibake() {
    int[] reference = clip.tokenIds("a photo of a café");
    assertArrayEquals(reference, clip.tokenIds("  A\tPHOTO\n of   a CAFÉ "));
    assertArrayEquals(reference, clip.tokenIds("a photo of a cafÃ©"));
    assertArrayEquals(reference, clip.tokenIds("a photo of a cafe\u0301"));
  }

  @Test
  void openAiAlsoUnescapesEntitiesWithoutSemicolonSdDoesNot() {
    // ftfy decodes only ';'-terminated entities (repeatedly): "&amp;lt;" -> "&lt;" -> "<".
    assertArrayEquals(clip.tokenIds("<"), clip.tokenIds("&amp;lt;"));
    assertArrayEquals(clip.encodeOpenAi("<"), clip.encodeOpenAi("&amp;lt;"));
    // "&amp;lt" -> "&lt" in both; only OpenAI's html.unescape then reads the legacy "&lt".
    assertArrayEquals(clip.encodeOpenAi("<"), clip.encodeOpenAi("&amp;lt"));
    assertArrayEquals(clip.tokenIds("&lt"), clip.tokenIds("&amp;lt"));
    assertNotEquals(Arrays.toString(clip.tokenIds("<")), Arrays.toString(clip.tokenIds("&lt")));
  }

  @Test
  void specialTokensInTheTextAreKeptAsSpecialIds() {
    int[] ids = clip.tokenIds("hello<|endoftext|>world");
    assertEquals(3, ids.length);
    assertEquals(49407, ids[1]);
  }

  @Test
  void multiVectorPlaceholderExpandsToConsecutiveNewIds() {
    ClipTokenizer vct = tiny.withPlaceholder("<cat-toy>", 3).withPlaceholder("<style>", 1);
    assertEquals(1004, vct.vocabSize());
    assertArrayEquals(new int[] {1000, 1001, 1002}, vct.placeholderIds("<cat-toy>"));
    assertArrayEquals(new int[] {1003}, vct.placeholderIds("<style>"));

    int[] ids = vct.tokenIds("a photo of <cat-toy> in <style>");
    assertArrayEquals(
        new int[] {1000, 1001, 1002}, Arrays.copyOfRange(ids, ids.length - 5, ids.length - 2));
    assertEquals(1003, ids[ids.length - 1]);
    // The prompt VCT trains with: BOS, the K placeholder tokens, EOS, EOS padding.
    long[] trained = vct.encode("<cat-toy>").ids();
    assertEquals(List.of(998L, 1000L, 1001L, 1002L, 999L, 999L), boxed(Arrays.copyOf(trained, 6)));
    // The original tokenizer is untouched.
    assertEquals(1000, tiny.vocabSize());
    assertFalse(Arrays.stream(tiny.tokenIds("<cat-toy>")).anyMatch(id -> id >= 1000));
  }

  @Test
  void placeholdersThatClashAreRejected() {
    ClipTokenizer vct = tiny.withPlaceholder("<s2>", 2);
    assertThrows(IllegalArgumentException.class, () -> vct.withPlaceholder("<s2>", 2));
    assertThrows(IllegalArgumentException.class, () -> vct.withPlaceholder("<s2>-big", 1));
    assertThrows(IllegalArgumentException.class, () -> tiny.withPlaceholder("a", 1));
    assertThrows(IllegalArgumentException.class, () -> tiny.withPlaceholder("<x>", 0));
    assertThrows(IllegalArgumentException.class, () -> vct.placeholderIds("<s3>"));
  }

  @Test
  void missingTokenizerFilesAreNamed(@org.junit.jupiter.api.io.TempDir Path empty) {
    IOException e = assertThrows(IOException.class, () -> ClipTokenizer.load(empty));
    assertTrue(e.getMessage().contains("vocab.json"), e.getMessage());
  }

  private static List<Long> boxed(long[] values) {
    return Arrays.stream(values).boxed().toList();
  }
}
