package dev.vct.engine.tokenizer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CLIP's byte-level BPE: a word's UTF-8 bytes are mapped to printable characters, the last one gets
 * the end-of-word marker {@code </w>}, and the lowest-ranked adjacent pair is merged until no
 * ranked pair is left.
 */
final class BytePairEncoder {

  static final String END_OF_WORD = "</w>";
  static final String START_OF_TEXT = "<|startoftext|>";
  static final String END_OF_TEXT = "<|endoftext|>";

  /** CLIP reads at most this many merges (49152 - 256 - 2), whatever the file holds. */
  private static final int MAX_MERGES = 48894;

  /** bytes_to_unicode: printable bytes stand for themselves, the others for 256 + n. */
  private static final char[] BYTE_TO_CHAR = buildByteToChar();

  private final Map<String, Integer> vocab;
  private final Map<String, Integer> ranks;
  private final Map<String, List<String>> cache = new ConcurrentHashMap<>();

  private BytePairEncoder(Map<String, Integer> vocab, Map<String, Integer> ranks) {
    this.vocab = vocab;
    this.ranks = ranks;
  }

  /** Reads a Hugging Face CLIP {@code vocab.json} and {@code merges.txt}. */
  static BytePairEncoder load(Path vocabJson, Path mergesTxt) throws IOException {
    Map<String, Integer> vocab;
    try {
      vocab = new ObjectMapper().readValue(vocabJson.toFile(), new TypeReference<>() {});
    } catch (IOException e) {
      throw new IOException("cannot read CLIP vocabulary " + vocabJson + ": " + e.getMessage(), e);
    }
    for (String special : List.of(START_OF_TEXT, END_OF_TEXT)) {
      if (!vocab.containsKey(special)) {
        throw new IllegalArgumentException(
            vocabJson + " has no " + special + " entry; is it a CLIP tokenizer vocabulary?");
      }
    }
    // As CLIP: strip the file, drop the "#version" header line, keep at most MAX_MERGES.
    String[] lines = Files.readString(mergesTxt, StandardCharsets.UTF_8).strip().split("\n");
    Map<String, Integer> ranks = new HashMap<>();
    int count = Math.min(lines.length - 1, MAX_MERGES);
    for (int rank = 0; rank < count; rank++) {
      String[] pair = lines[rank + 1].strip().split("\\s+");
      if (pair.length != 2) {
        throw new IllegalArgumentException(
            mergesTxt
                + " line "
                + (rank + 2)
                + " is not a pair of symbols: '"
                + lines[rank + 1]
                + "'");
      }
      ranks.put(pairKey(pair[0], pair[1]), rank);
    }
    return new BytePairEncoder(Map.copyOf(vocab), Map.copyOf(ranks));
  }

  int vocabSize() {
    return vocab.size();
  }

  /** The id of a vocabulary entry, or -1. */
  int id(String token) {
    return vocab.getOrDefault(token, -1);
  }

  boolean contains(String token) {
    return vocab.containsKey(token);
  }

  /** The BPE symbols of one pre-token (a regex match of the cleaned text). */
  List<String> symbols(String preToken) {
    byte[] utf8 = preToken.getBytes(StandardCharsets.UTF_8);
    StringBuilder mapped = new StringBuilder(utf8.length);
    for (byte b : utf8) {
      mapped.append(BYTE_TO_CHAR[b & 0xFF]);
    }
    return cache.computeIfAbsent(mapped.toString(), this::bpe);
  }

  private List<String> bpe(String token) {
    if (token.equals(START_OF_TEXT) || token.equals(END_OF_TEXT)) {
      return List.of(token);
    }
    List<String> word = new ArrayList<>(token.length());
    for (int i = 0; i < token.length() - 1; i++) {
      word.add(String.valueOf(token.charAt(i)));
    }
    word.add(token.charAt(token.length() - 1) + END_OF_WORD);
    while (word.size() > 1) {
      int bestRank = Integer.MAX_VALUE;
      String first = null;
      String second = null;
      for (int i = 0; i + 1 < word.size(); i++) {
        Integer rank = ranks.get(pairKey(word.get(i), word.get(i + 1)));
        if (rank != null && rank < bestRank) {
          bestRank = rank;
          first = word.get(i);
          second = word.get(i + 1);
        }
      }
      if (first == null) {
        break;
      }
      // Merge every occurrence of the pair, left to right.
      List<String> merged = new ArrayList<>(word.size());
      int i = 0;
      while (i < word.size()) {
        if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
          merged.add(first + second);
          i += 2;
        } else {
          merged.add(word.get(i));
          i++;
        }
      }
      word = merged;
    }
    return List.copyOf(word);
  }

  private static String pairKey(String first, String second) {
    // Symbols never hold a space: bytes_to_unicode maps the space byte to 'Ġ'.
    return first + ' ' + second;
  }

  private static char[] buildByteToChar() {
    char[] table = new char[256];
    boolean[] printable = new boolean[256];
    for (int b = '!'; b <= '~'; b++) {
      printable[b] = true;
    }
    for (int b = 0xA1; b <= 0xAC; b++) {
      printable[b] = true;
    }
    for (int b = 0xAE; b <= 0xFF; b++) {
      printable[b] = true;
    }
    int next = 0;
    for (int b = 0; b < 256; b++) {
      table[b] = printable[b] ? (char) b : (char) (256 + next++);
    }
    return table;
  }
}
