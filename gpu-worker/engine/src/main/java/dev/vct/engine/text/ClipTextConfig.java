package dev.vct.engine.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * transformers' {@code CLIPTextConfig}, bound to the keys of a text encoder's {@code config.json};
 * absent keys take transformers' defaults.
 *
 * @param eosTokenId selects the pooled row: 2 (old configs, e.g. SD-1.5's) means "argmax of the
 *     ids", anything else "first position holding eos_token_id"
 */
public record ClipTextConfig(
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numAttentionHeads,
    int numHiddenLayers,
    int maxPositionEmbeddings,
    String hiddenAct,
    float layerNormEps,
    int bosTokenId,
    int eosTokenId,
    int padTokenId) {

  private static final Set<String> ACTIVATIONS = Set.of("quick_gelu", "gelu");

  public ClipTextConfig {
    positive("vocab_size", vocabSize);
    positive("hidden_size", hiddenSize);
    positive("intermediate_size", intermediateSize);
    positive("num_attention_heads", numAttentionHeads);
    positive("num_hidden_layers", numHiddenLayers);
    positive("max_position_embeddings", maxPositionEmbeddings);
    if (hiddenSize % numAttentionHeads != 0) {
      throw new IllegalArgumentException(
          "hidden_size "
              + hiddenSize
              + " is not divisible by num_attention_heads "
              + numAttentionHeads);
    }
    if (!ACTIVATIONS.contains(hiddenAct)) {
      throw new IllegalArgumentException(
          "hidden_act '" + hiddenAct + "' is not supported; CLIP text encoders use " + ACTIVATIONS);
    }
    if (!(layerNormEps > 0)) {
      throw new IllegalArgumentException("layer_norm_eps must be > 0, got " + layerNormEps);
    }
  }

  /** Reads {@code config.json} of a text encoder folder. */
  public static ClipTextConfig read(Path configJson) throws IOException {
    try {
      return fromJson(new ObjectMapper().readTree(configJson.toFile()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
    }
  }

  public static ClipTextConfig fromJson(JsonNode json) {
    return new ClipTextConfig(
        json.path("vocab_size").asInt(49408),
        json.path("hidden_size").asInt(512),
        json.path("intermediate_size").asInt(2048),
        json.path("num_attention_heads").asInt(8),
        json.path("num_hidden_layers").asInt(12),
        json.path("max_position_embeddings").asInt(77),
        json.path("hidden_act").asText("quick_gelu"),
        (float) json.path("layer_norm_eps").asDouble(1e-5),
        json.path("bos_token_id").asInt(49406),
        json.path("eos_token_id").asInt(49407),
        json.path("pad_token_id").asInt(1));
  }

  public int headDim() {
    return hiddenSize / numAttentionHeads;
  }

  /** Old CLIP configs carry eos_token_id 2; transformers then pools at argmax(ids). */
  public boolean poolsAtArgmax() {
    return eosTokenId == 2;
  }

  private static void positive(String key, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(key + " must be positive, got " + value);
    }
  }
}
