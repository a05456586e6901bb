package dev.vct.engine.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's tokenizer in pure Java, exact to the reference implementations:
 *
 * <ul>
 *   <li>{@link #encode}: Hugging Face {@code CLIPTokenizer} as Stable Diffusion calls it ({@code
 *       padding="max_length", max_length=77, truncation=True}, padded with the end-of-text id),
 *       including VCT's multi-vector placeholders ({@link #withPlaceholder});
 *   <li>{@link #encodeOpenAi}: OpenAI's {@code clip.tokenize(text, truncate=True)} (zero-padded).
 * </ul>
 *
 * Text cleanup is ftfy's {@code fix_text} (OpenAI also un-escapes HTML twice more), whitespace
 * collapsed, lower case; then CLIP's pre-tokenizing regex and byte-level BPE.
 *
 * <p>Instances are immutable and thread-safe; {@link #withPlaceholder} returns a new one.
 */
public final class ClipTokenizer {

  /** CLIP's context length. */
  public static final int CONTEXT_LENGTH = 77;

  /**
   * CLIP's pre-tokenizer (Python {@code regex}, IGNORECASE). Under IGNORECASE that library matches
   * U+0345 (combining ypogegrammeni, case-folding to iota) with none of the classes, so it is
   * skipped like whitespace; the explicit exclusion reproduces that.
   */
  private static final Pattern PRE_TOKEN =
      Pattern.compile(
          "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d"
              + "|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}\u0345]+",
          Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

  private final BytePairEncoder bpe;
  private final int bosId;
  private final int eosId;

  /** Tokens matched in the raw text before any cleanup or BPE (HF's added tokens), with ids. */
  private final Map<String, Integer> addedTokens;

  /** Placeholder text -> the tokens it expands to, in the order they were added. */
  private final Map<String, List<String>> placeholders;

  private ClipTokenizer(
      BytePairEncoder bpe,
      Map<String, Integer> addedTokens,
      Map<String, List<String>> placeholders) {
    this.bpe = bpe;
    this.bosId = bpe.id(BytePairEncoder.START_OF_TEXT);
    this.eosId = bpe.id(BytePairEncoder.END_OF_TEXT);
    this.addedTokens = Collections.unmodifiableMap(addedTokens);
    this.placeholders = Collections.unmodifiableMap(placeholders);
  }

  /** Loads {@code vocab.json} and {@code merges.txt} from a diffusers {@code tokenizer} folder. */
  public static ClipTokenizer load(Path tokenizerDir) throws IOException {
    Path vocab = tokenizerDir.resolve("vocab.json");
    Path merges = tokenizerDir.resolve("merges.txt");
    for (Path p : List.of(vocab, merges)) {
      if (!Files.isRegularFile(p)) {
        throw new IOException(
            "CLIP tokenizer file "
                + p
                + " is missing (a tokenizer folder holds vocab.json and"
                + " merges.txt)");
      }
    }
    BytePairEncoder bpe = BytePairEncoder.load(vocab, merges);
    Map<String, Integer> added = new LinkedHashMap<>();
    added.put(BytePairEncoder.START_OF_TEXT, bpe.id(BytePairEncoder.START_OF_TEXT));
    added.put(BytePairEncoder.END_OF_TEXT, bpe.id(BytePairEncoder.END_OF_TEXT));
    return new ClipTokenizer(bpe, added, new LinkedHashMap<>());
  }

  /**
   * A tokenizer that also knows {@code placeholder}, as VCT's {@code
   * MultiTokenCLIPTokenizer.add_placeholder_tokens(placeholder, num_vec_per_token=n)}: with n = 1
   * the placeholder is itself a new token, otherwise the text {@code placeholder} expands to the
   * new tokens {@code placeholder_0 ... placeholder_{n-1}}. New tokens get the next free ids
   * ({@link #vocabSize()} onwards) and are matched in the raw text before any BPE.
   */
  public ClipTokenizer withPlaceholder(String placeholder, int numVectors) {
    if (placeholder == null || placeholder.isBlank()) {
      throw new IllegalArgumentException("a placeholder token must be a non-blank string");
    }
    if (numVectors < 1) {
      throw new IllegalArgumentException(
          "placeholder " + placeholder + " needs at least 1 vector, got " + numVectors);
    }
    for (String existing : placeholders.keySet()) {
      if (placeholder.contains(existing)) {
        throw new IllegalArgumentException(
            "placeholder "
                + placeholder
                + " contains the existing placeholder "
                + existing
                + "; keep placeholder tokens independent of each other");
      }
    }
    List<String> tokens = new ArrayList<>(numVectors);
    if (numVectors == 1) {
      tokens.add(placeholder);
    } else {
      for (int i = 0; i < numVectors; i++) {
        tokens.add(placeholder + "_" + i);
      }
    }
    Map<String, Integer> added = new LinkedHashMap<>(addedTokens);
    int nextId = vocabSize();
    for (String token : tokens) {
      if (added.containsKey(token) || bpe.contains(token)) {
        throw new IllegalArgumentException(
            "the tokenizer already contains the token "
                + token
                + "; choose a placeholder that is not in the vocabulary");
      }
      added.put(token, nextId++);
    }
    Map<String, List<String>> expanded = new LinkedHashMap<>(placeholders);
    expanded.put(placeholder, List.copyOf(tokens));
    return new ClipTokenizer(bpe, added, expanded);
  }

  /** The ids of the tokens {@code placeholder} expands to (rows of the token embedding). */
  public int[] placeholderIds(String placeholder) {
    List<String> tokens = placeholders.get(placeholder);
    if (tokens == null) {
      throw new IllegalArgumentException(
          "unknown placeholder " + placeholder + "; known: " + placeholders.keySet());
    }
    return tokens.stream().mapToInt(addedTokens::get).toArray();
  }

  /** Vocabulary entries plus added placeholder tokens (the next new token gets this id). */
  public int vocabSize() {
    return bpe.vocabSize() + placeholders.values().stream().mapToInt(List::size).sum();
  }

  public int bosId() {
    return bosId;
  }

  public int eosId() {
    return eosId;
  }

  /**
   * The ids of {@code text} without start/end tokens and without truncation (HF {@code encode(text,
   * add_special_tokens=False)}, placeholders expanded).
   */
  public int[] tokenIds(String text) {
    List<Integer> ids = new ArrayList<>();
    for (String chunk : splitOnAddedTokens(expandPlaceholders(text))) {
      Integer added = addedTokens.get(chunk);
      if (added != null) {
        ids.add(added);
      } else {
        appendBpeIds(cleanForHf(chunk), ids);
      }
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Stable Diffusion's tokenization: BOS, at most 75 tokens, EOS, padded with the EOS id to the
   * context length; the attention mask marks the unpadded part.
   */
  public TokenizedPrompt encode(String text) {
    int[] tokens = tokenIds(text);
    int kept = Math.min(tokens.length, CONTEXT_LENGTH - 2);
    long[] ids = new long[CONTEXT_LENGTH];
    long[] mask = new long[CONTEXT_LENGTH];
    Arrays.fill(ids, eosId);
    ids[0] = bosId;
    for (int i = 0; i < kept; i++) {
      ids[i + 1] = tokens[i];
    }
    ids[kept + 1] = eosId;
    Arrays.fill(mask, 0, kept + 2, 1L);
    return new TokenizedPrompt(ids, mask);
  }

  /**
   * OpenAI's {@code clip.tokenize(text, truncate=True)}: SOT, tokens, EOT; a longer text keeps its
   * first 77 ids with the last one replaced by EOT; zero-padded. Placeholders are not known to
   * OpenAI's tokenizer and are tokenized as plain text.
   */
  public long[] encodeOpenAi(String text) {
    String cleaned = HtmlEntities.unescape(HtmlEntities.unescape(TextFixer.fixText(text)));
    List<Integer> tokens = new ArrayList<>();
    tokens.add(bosId);
    appendBpeIds(PythonStrings.lower(PythonStrings.whitespaceClean(cleaned)), tokens);
    tokens.add(eosId);
    long[] ids = new long[CONTEXT_LENGTH];
    int n = Math.min(tokens.size(), CONTEXT_LENGTH);
    for (int i = 0; i < n; i++) {
      ids[i] = tokens.get(i);
    }
    ids[n - 1] = eosId;
    return ids;
  }

  /** The BPE symbols of {@code text} as SD's tokenizer sees it (no start/end tokens). */
  public List<String> bpeTokens(String text) {
    List<String> symbols = new ArrayList<>();
    for (String chunk : splitOnAddedTokens(expandPlaceholders(text))) {
      if (addedTokens.containsKey(chunk)) {
        symbols.add(chunk);
      } else {
        Matcher m = PRE_TOKEN.matcher(cleanForHf(chunk));
        while (m.find()) {
          symbols.addAll(bpe.symbols(m.group()));
        }
      }
    }
    return symbols;
  }

  private String expandPlaceholders(String text) {
    for (Map.Entry<String, List<String>> e : placeholders.entrySet()) {
      text = text.replace(e.getKey(), String.join(" ", e.getValue()));
    }
    return text;
  }

  /** Splits around added tokens: the leftmost match wins, the longest one at that position. */
  private List<String> splitOnAddedTokens(String text) {
    List<String> chunks = new ArrayList<>();
    int start = 0;
    int pos = 0;
    while (pos < text.length()) {
      String match = null;
      for (String token : addedTokens.keySet()) {
        if (text.startsWith(token, pos) && (match == null || token.length() > match.length())) {
          match = token;
        }
      }
      if (match == null) {
        pos++;
        continue;
      }
      if (pos > start) {
        chunks.add(text.substring(start, pos));
      }
      chunks.add(match);
      pos += match.length();
      start = pos;
    }
    if (start < text.length()) {
      chunks.add(text.substring(start));
    }
    return chunks;
  }

  private void appendBpeIds(String cleaned, List<Integer> ids) {
    Matcher m = PRE_TOKEN.matcher(cleaned);
    while (m.find()) {
      for (String symbol : bpe.symbols(m.group())) {
        int id = bpe.id(symbol);
        // HF maps a symbol missing from the vocabulary to its unknown token, <|endoftext|>.
        ids.add(id >= 0 ? id : eosId);
      }
    }
  }

  /** HF CLIPTokenizer._tokenize's cleanup: ftfy, whitespace collapsed, lower case. */
  private static String cleanForHf(String text) {
    return PythonStrings.lower(PythonStrings.whitespaceClean(TextFixer.fixText(text)));
  }
}
