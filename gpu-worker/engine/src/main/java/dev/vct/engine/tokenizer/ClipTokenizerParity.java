package dev.vct.engine.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Oracle fixtures {@code clip_tokenizer} and {@code clip_tokenizer_tiny}: every string of {@code
 * strings.json} through the OpenAI and the SD (Hugging Face) modes, and through the SD mode with
 * VCT's placeholders added as {@code strings.json:added_tokens_for_vct} lists them.
 */
public final class ClipTokenizerParity implements ParityCheck {

  /** "&lt;s2&gt;_1": the second vector of a multi-vector placeholder. */
  private static final Pattern VECTOR_TOKEN = Pattern.compile("(.+)_(\\d+)");

  @Override
  public String component() {
    return "clip_tokenizer";
  }

  @Override
  public List<Comparison> run(Fixture fixture) throws IOException {
    ClipTokenizer tokenizer = ClipTokenizer.load(fixture.dir());
    JsonNode strings = new ObjectMapper().readTree(fixture.dir().resolve("strings.json").toFile());
    ClipTokenizer vct = withVctPlaceholders(tokenizer, strings.get("added_tokens_for_vct"));

    List<String> texts = new ArrayList<>();
    strings.get("strings").forEach(s -> texts.add(s.asText()));
    int n = texts.size();
    int length = ClipTokenizer.CONTEXT_LENGTH;
    long[] openai = new long[n * length];
    long[] hfIds = new long[n * length];
    long[] hfMask = new long[n * length];
    long[] vctIds = new long[n * length];
    for (int i = 0; i < n; i++) {
      String text = texts.get(i);
      TokenizedPrompt hf = tokenizer.encode(text);
      System.arraycopy(tokenizer.encodeOpenAi(text), 0, openai, i * length, length);
      System.arraycopy(hf.ids(), 0, hfIds, i * length, length);
      System.arraycopy(hf.attentionMask(), 0, hfMask, i * length, length);
      System.arraycopy(vct.encode(text).ids(), 0, vctIds, i * length, length);
    }
    Shape shape = new Shape(n, length);
    return List.of(
        fixture.compare("openai_ids", array(fixture, openai, shape)),
        fixture.compare("hf_ids", array(fixture, hfIds, shape)),
        fixture.compare("hf_attention_mask", array(fixture, hfMask, shape)),
        fixture.compare("vct_multitoken_ids", array(fixture, vctIds, shape)));
  }

  /**
   * Adds the placeholders behind the recorded added tokens (ids from the vocabulary size on):
   * {@code name_0 .. name_{K-1}} is one placeholder {@code name} with K vectors, any other token a
   * single-vector placeholder; the ids the tokenizer assigns must be the recorded ones.
   */
  static ClipTokenizer withVctPlaceholders(ClipTokenizer tokenizer, JsonNode addedTokens) {
    Map<Integer, String> byId = new TreeMap<>();
    addedTokens
        .fields()
        .forEachRemaining(
            e -> {
              if (e.getValue().asInt() >= tokenizer.vocabSize()) {
                byId.put(e.getValue().asInt(), e.getKey());
              }
            });
    List<String> tokens = List.copyOf(byId.values());
    ClipTokenizer result = tokenizer;
    int i = 0;
    while (i < tokens.size()) {
      Matcher m = VECTOR_TOKEN.matcher(tokens.get(i));
      int vectors = 1;
      String placeholder = tokens.get(i);
      if (m.matches() && m.group(2).equals("0")) {
        placeholder = m.group(1);
        while (i + vectors < tokens.size()
            && tokens.get(i + vectors).equals(placeholder + "_" + vectors)) {
          vectors++;
        }
      }
      int firstId = result.vocabSize();
      result = result.withPlaceholder(placeholder, vectors);
      int[] expected = new int[vectors];
      Arrays.setAll(expected, k -> firstId + k);
      int[] recorded = new int[vectors];
      for (int k = 0; k < vectors; k++) {
        recorded[k] = addedTokens.get(vectors == 1 ? placeholder : placeholder + "_" + k).asInt();
      }
      if (!Arrays.equals(expected, recorded)) {
        throw new IllegalStateException(
            "placeholder "
                + placeholder
                + " got ids "
                + Arrays.toString(expected)
                + " but the fixture recorded "
                + Arrays.toString(recorded));
      }
      i += vectors;
    }
    return result;
  }

  private static NDArray array(Fixture fixture, long[] values, Shape shape) {
    return fixture.manager().create(values, shape).duplicate();
  }
}
