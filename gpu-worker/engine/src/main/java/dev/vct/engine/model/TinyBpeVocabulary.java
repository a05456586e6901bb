package dev.vct.engine.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small CLIP-style byte-level BPE vocabulary, learned here from a built-in word list: the 256
 * byte symbols of CLIP's {@code bytes_to_unicode} table, the same with {@code </w>}, one token per
 * merge, then {@code <|startoftext|>} and {@code <|endoftext|>} as the last two ids.
 */
public final class TinyBpeVocabulary {

  public static final String START = "<|startoftext|>";
  public static final String END = "<|endoftext|>";
  private static final String WORD_END = "</w>";

  /** Common prompt words, most frequent first (their rank weights the pair counts). */
  private static final String WORDS =
      """
      a the of and in with on photo painting picture image portrait style art by an to at
      cat dog man woman person people child girl boy face eyes hair hand house tree trees
      city street road car river lake sea ocean beach mountain mountains forest field sky
      clouds sun moon night day morning evening light dark shadow color colors red green
      blue yellow orange purple pink black white gray brown gold silver bright soft sharp
      detailed realistic beautiful old young small large big little tall long short round
      water fire stone wood glass metal paper cloth flower flowers garden grass leaves
      winter summer spring autumn snow rain storm wind sunset sunrise landscape scene view
      oil watercolor sketch drawing digital render cinematic studio lighting high quality
      close up wide angle camera lens film vintage modern ancient classic abstract simple
      building buildings window door wall floor roof bridge tower castle church temple
      bird birds horse fish bear lion tiger wolf fox rabbit deer cow sheep mouse owl
      standing sitting walking running flying looking holding wearing playing smiling
      dress shirt hat coat shoes table chair bed book cup bottle plate food fruit apple
      bread cake coffee tea wine there this that these those from over under between
      through into about after before during while where when what which who very more
      most some many much other another each every first second third one two three four
      five ten hundred thousand style of van gogh monet picasso rembrandt anime cartoon
      comic illustration poster texture pattern background foreground center corner edge
      surface sand desert island village town country world planet space star stars
      galaxy universe robot machine computer phone screen train boat ship plane rocket
      astronaut coffee cup chelsea camera motorcycle rocket
      """;

  private final List<String> vocabulary;
  private final List<String[]> merges;

  private TinyBpeVocabulary(List<String> vocabulary, List<String[]> merges) {
    this.vocabulary = vocabulary;
    this.merges = merges;
  }

  /** Learns up to {@code vocabSize - 514} merges; fails if the word list cannot supply them. */
  public static TinyBpeVocabulary learn(int vocabSize) {
    int wanted = vocabSize - 2 * 256 - 2;
    if (wanted < 0) {
      throw new IllegalArgumentException(
          "a CLIP vocabulary needs at least 514 tokens (512 byte symbols + 2 specials), got "
              + vocabSize);
    }
    String[] byteSymbols = bytesToUnicode();
    // CLIP lists the printable bytes first, then the remapped ones (its bytes_to_unicode order)
    List<String> base = new ArrayList<>();
    for (int pass = 0; pass < 2; pass++) {
      for (int b = 0; b < 256; b++) {
        if (isPrintable(b) == (pass == 0)) {
          base.add(byteSymbols[b]);
        }
      }
    }
    List<String> vocabulary = new ArrayList<>(base);
    for (String s : base) {
      vocabulary.add(s + WORD_END);
    }
    Set<String> known = new HashSet<>(vocabulary);

    // words as symbol sequences (the last symbol carries </w>), weighted by rank
    Map<List<String>, Integer> words = new LinkedHashMap<>();
    String[] list = WORDS.trim().split("\\s+");
    for (int rank = 0; rank < list.length; rank++) {
      List<String> symbols = new ArrayList<>();
      byte[] utf8 = list[rank].getBytes(java.nio.charset.StandardCharsets.UTF_8);
      for (byte b : utf8) {
        symbols.add(byteSymbols[b & 0xff]);
      }
      symbols.set(symbols.size() - 1, symbols.get(symbols.size() - 1) + WORD_END);
      words.merge(symbols, 1 + (list.length - rank) / 40, Integer::sum);
    }

    List<String[]> merges = new ArrayList<>();
    while (merges.size() < wanted) {
      Map<String, Integer> counts = new HashMap<>();
      Map<String, String[]> pairs = new HashMap<>();
      words.forEach(
          (symbols, weight) -> {
            for (int i = 0; i + 1 < symbols.size(); i++) {
              String[] pair = {symbols.get(i), symbols.get(i + 1)};
              String key = pair[0] + " " + pair[1];
              counts.merge(key, weight, Integer::sum);
              pairs.putIfAbsent(key, pair);
            }
          });
      // most frequent pair whose merged token is new; ties broken by the pair text
      String best = null;
      for (Map.Entry<String, Integer> e : counts.entrySet()) {
        String[] pair = pairs.get(e.getKey());
        if (known.contains(pair[0] + pair[1])) {
          continue;
        }
        if (best == null
            || e.getValue() > counts.get(best)
            || (e.getValue().equals(counts.get(best)) && e.getKey().compareTo(best) < 0)) {
          best = e.getKey();
        }
      }
      if (best == null) {
        throw new IllegalStateException(
            "the built-in word list supports only "
                + merges.size()
                + " merges, "
                + wanted
                + " wanted");
      }
      String[] pair = pairs.get(best);
      merges.add(pair);
      known.add(pair[0] + pair[1]);
      vocabulary.add(pair[0] + pair[1]);
      Map<List<String>, Integer> merged = new LinkedHashMap<>();
      words.forEach((symbols, weight) -> merged.merge(apply(symbols, pair), weight, Integer::sum));
      words = merged;
    }
    vocabulary.add(START);
    vocabulary.add(END);
    return new TinyBpeVocabulary(List.copyOf(vocabulary), List.copyOf(merges));
  }

  private static List<String> apply(List<String> symbols, String[] pair) {
    List<String> out = new ArrayList<>(symbols.size());
    for (int i = 0; i < symbols.size(); i++) {
      if (i + 1 < symbols.size()
          && symbols.get(i).equals(pair[0])
          && symbols.get(i + 1).equals(pair[1])) {
        out.add(pair[0] + pair[1]);
        i++;
      } else {
        out.add(symbols.get(i));
      }
    }
    return out;
  }

  /**
   * CLIP / GPT-2 {@code bytes_to_unicode}: printable Latin-1 bytes map to themselves, the other
   * bytes to code points from 256 upwards, in byte order.
   */
  static String[] bytesToUnicode() {
    String[] table = new String[256];
    int next = 0;
    for (int b = 0; b < 256; b++) {
      table[b] = isPrintable(b) ? Character.toString(b) : Character.toString(256 + next++);
    }
    return table;
  }

  private static boolean isPrintable(int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
  }

  /** Token strings in id order. */
  public List<String> vocabulary() {
    return vocabulary;
  }

  public List<String[]> merges() {
    return merges;
  }

  public int size() {
    return vocabulary.size();
  }

  public int startId() {
    return vocabulary.size() - 2;
  }

  public int endId() {
    return vocabulary.size() - 1;
  }
}
