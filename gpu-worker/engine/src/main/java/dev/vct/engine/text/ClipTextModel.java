package dev.vct.engine.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.nn.CheckpointWeights;
import dev.vct.engine.nn.LayerNorm;
import dev.vct.engine.tensor.StateDict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code CLIPTextModel} as Stable Diffusion runs it: token + position embeddings, a
 * stack of pre-norm layers under a causal mask (no padding mask), the final layer norm, and the
 * pooled end-of-text row.
 *
 * <p>For concept inversion the embedding lookup is separate from the transformer: {@link
 * #embed(NDArray, NDArray)} reads ids past the vocabulary from extra (trainable) rows, and {@link
 * #forwardEmbeddings} runs the rest, so gradients reach those rows and nothing else.
 *
 * <p>Results of a call belong to the manager of its input array (the caller's step scope); the
 * weights belong to the model's own manager, freed by {@link #close()}.
 */
public final class ClipTextModel implements AutoCloseable {

  private static final String PREFIX = "text_model.";

  /** torch.finfo(float32).min, what transformers adds above the diagonal. */
  private static final float MASKED = -Float.MAX_VALUE;

  private final ClipTextConfig config;
  private final NDManager manager;
  private final NDArray tokenEmbedding; // (vocab, hidden)
  private final NDArray positionEmbedding; // (max_positions, hidden)
  private final List<ClipEncoderLayer> layers;
  private final LayerNorm finalLayerNorm;

  private ClipTextModel(
      ClipTextConfig config,
      NDManager manager,
      NDArray tokenEmbedding,
      NDArray positionEmbedding,
      List<ClipEncoderLayer> layers,
      LayerNorm finalLayerNorm) {
    this.config = config;
    this.manager = manager;
    this.tokenEmbedding = tokenEmbedding;
    this.positionEmbedding = positionEmbedding;
    this.layers = layers;
    this.finalLayerNorm = finalLayerNorm;
  }

  /**
   * Loads a diffusers {@code text_encoder} folder: {@code config.json} and {@code
   * model.safetensors} (or {@code model.fp16.safetensors}, widened to float32).
   */
  public static ClipTextModel load(Path componentDir, NDManager parent) throws IOException {
    ClipTextConfig config = ClipTextConfig.read(componentDir.resolve("config.json"));
    try (StateDict weights = StateDict.open(weightsFile(componentDir))) {
      return load(config, weights, parent);
    }
  }

  /**
   * Builds the model from weights under transformers' keys ({@code text_model.embeddings...});
   * fails naming every missing, mis-shaped or unexpected key.
   */
  public static ClipTextModel load(ClipTextConfig config, StateDict stateDict, NDManager parent) {
    NDManager manager = parent.newSubManager();
    try {
      CheckpointWeights weights = new CheckpointWeights(stateDict, manager);
      long hidden = config.hiddenSize();
      NDArray tokenEmbedding =
          weights.take(PREFIX + "embeddings.token_embedding.weight", config.vocabSize(), hidden);
      NDArray positionEmbedding =
          weights.take(
              PREFIX + "embeddings.position_embedding.weight",
              config.maxPositionEmbeddings(),
              hidden);
      String positionIds = PREFIX + "embeddings.position_ids";
      if (weights.contains(positionIds)) {
        // A buffer (0..max-1) that transformers < 4.31 saved with the weights; not a parameter.
        weights.take(positionIds, 1, config.maxPositionEmbeddings()).close();
      }
      List<ClipEncoderLayer> layers = new ArrayList<>();
      for (int i = 0; i < config.numHiddenLayers(); i++) {
        layers.add(ClipEncoderLayer.load(weights, PREFIX + "encoder.layers." + i, config));
      }
      LayerNorm finalLayerNorm =
          LayerNorm.load(weights, PREFIX + "final_layer_norm", hidden, config.layerNormEps());
      weights.verify();
      return new ClipTextModel(
          config, manager, tokenEmbedding, positionEmbedding, List.copyOf(layers), finalLayerNorm);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private static Path weightsFile(Path componentDir) throws IOException {
    for (String name : List.of("model.safetensors", "model.fp16.safetensors")) {
      Path file = componentDir.resolve(name);
      if (Files.isRegularFile(file)) {
        return file;
      }
    }
    throw new IOException(
        "no text encoder weights in "
            + componentDir
            + ": expected model.safetensors or model.fp16.safetensors (convert .bin checkpoints"
            + " to safetensors first)");
  }

  public ClipTextConfig config() {
    return config;
  }

  /** The token embedding table (vocab, hidden), e.g. to initialise placeholder rows from a word. */
  public NDArray tokenEmbedding() {
    return tokenEmbedding;
  }

  /** {@code ids} (batch, seq) int64 to last hidden state and pooled output. */
  public ClipTextOutput forward(NDArray ids) {
    NDArray lastHiddenState = forwardEmbeddings(embed(ids));
    return new ClipTextOutput(lastHiddenState, pool(lastHiddenState, ids));
  }

  /**
   * Like {@link #forward(NDArray)} with placeholder tokens: ids from {@code vocab_size} on read the
   * rows of {@code extraRows} (K, hidden).
   */
  public ClipTextOutput forward(NDArray ids, NDArray extraRows) {
    NDArray lastHiddenState = forwardEmbeddings(embed(ids, extraRows));
    return new ClipTextOutput(lastHiddenState, pool(lastHiddenState, ids));
  }

  /** Token embeddings (batch, seq, hidden) of {@code ids} (batch, seq). */
  public NDArray embed(NDArray ids) {
    long[] values = checkIds(ids, config.vocabSize());
    NDManager m = ids.getManager();
    Shape shape = ids.getShape();
    NDArray rows = tokenEmbedding.get(m, new NDIndex("{}", torchOwned(m, values)));
    return rows.reshape(shape.get(0), shape.get(1), config.hiddenSize());
  }

  /**
   * Token embeddings where id {@code vocab_size + k} reads row k of {@code extraRows} (K, hidden)
   * and every other id the embedding table: the vocabulary extended by K rows, through which
   * gradients flow only into {@code extraRows}.
   */
  public NDArray embed(NDArray ids, NDArray extraRows) {
    Shape extra = extraRows.getShape();
    if (extra.dimension() != 2 || extra.get(1) != config.hiddenSize()) {
      throw new IllegalArgumentException(
          "extra token rows must be (K, " + config.hiddenSize() + "), got " + extra);
    }
    int vocab = config.vocabSize();
    long[] values = checkIds(ids, vocab + extra.get(0));
    long[] inVocab = new long[values.length];
    long[] inExtra = new long[values.length];
    boolean[] isExtra = new boolean[values.length];
    for (int i = 0; i < values.length; i++) {
      isExtra[i] = values[i] >= vocab;
      inVocab[i] = isExtra[i] ? 0 : values[i];
      inExtra[i] = isExtra[i] ? values[i] - vocab : 0;
    }
    NDManager m = ids.getManager();
    Shape flat = new Shape(values.length);
    NDArray base = tokenEmbedding.get(m, new NDIndex("{}", torchOwned(m, inVocab)));
    NDArray learned = extraRows.get(m, new NDIndex("{}", torchOwned(m, inExtra)));
    // Backward keeps the indices and the condition: they must not alias Java arrays.
    NDArray select =
        m.create(isExtra, flat)
            .duplicate()
            .reshape(values.length, 1)
            .broadcast(values.length, config.hiddenSize());
    Shape shape = ids.getShape();
    return NDArrays.where(select, learned, base)
        .reshape(shape.get(0), shape.get(1), config.hiddenSize());
  }

  /**
   * The transformer on given token embeddings (batch, seq, hidden): adds position embeddings, runs
   * every layer under the causal mask, applies the final layer norm.
   */
  public NDArray forwardEmbeddings(NDArray inputEmbeds) {
    Shape shape = inputEmbeds.getShape();
    if (shape.dimension() != 3 || shape.get(2) != config.hiddenSize()) {
      throw new IllegalArgumentException(
          "input embeddings must be (batch, seq, " + config.hiddenSize() + "), got " + shape);
    }
    long seq = shape.get(1);
    if (seq > config.maxPositionEmbeddings()) {
      throw new IllegalArgumentException(
          "sequence of "
              + seq
              + " tokens exceeds max_position_embeddings "
              + config.maxPositionEmbeddings());
    }
    NDManager m = inputEmbeds.getManager();
    NDArray hidden = inputEmbeds.add(positionEmbedding.get(m, new NDIndex(":{}", seq)));
    NDArray causalMask = causalMask(m, seq);
    for (ClipEncoderLayer layer : layers) {
      hidden = layer.forward(hidden, causalMask);
    }
    return finalLayerNorm.forward(hidden);
  }

  /**
   * The row of each sequence's end-of-text token: the first position holding eos_token_id, or for
   * old configs (eos_token_id 2) the position of the largest id.
   */
  public NDArray pool(NDArray lastHiddenState, NDArray ids) {
    long[] values = ids.toType(DataType.INT64, false).toLongArray();
    int batch = Math.toIntExact(ids.getShape().get(0));
    int seq = Math.toIntExact(ids.getShape().get(1));
    NDList rows = new NDList();
    for (int b = 0; b < batch; b++) {
      int from = b * seq;
      int at =
          config.poolsAtArgmax()
              ? firstArgmax(values, from, seq)
              : firstIndexOf(values, from, seq, config.eosTokenId());
      rows.add(lastHiddenState.get(b, at));
    }
    return NDArrays.stack(rows);
  }

  private static int firstArgmax(long[] values, int from, int length) {
    int at = 0;
    for (int i = 1; i < length; i++) {
      if (values[from + i] > values[from + at]) {
        at = i;
      }
    }
    return at;
  }

  /** As torch's argmax over (ids == eos): 0 when the row has no eos. */
  private static int firstIndexOf(long[] values, int from, int length, long id) {
    for (int i = 0; i < length; i++) {
      if (values[from + i] == id) {
        return i;
      }
    }
    return 0;
  }

  /** 0 on and below the diagonal, float32's lowest value above it. */
  private static NDArray causalMask(NDManager m, long seq) {
    NDArray positions = m.arange(0, seq, 1, DataType.INT64);
    NDArray above = positions.reshape(1, seq).gt(positions.reshape(seq, 1));
    return above.toType(DataType.FLOAT32, false).mul(m.full(new Shape(), MASKED));
  }

  /** A 1-d int64 array in torch memory (manager.create may alias the Java array). */
  private static NDArray torchOwned(NDManager m, long[] values) {
    return m.create(values, new Shape(values.length)).duplicate();
  }

  private static long[] checkIds(NDArray ids, long limit) {
    if (ids.getShape().dimension() != 2) {
      throw new IllegalArgumentException("token ids must be (batch, seq), got " + ids.getShape());
    }
    long[] values = ids.toType(DataType.INT64, false).toLongArray();
    for (long id : values) {
      if (id < 0 || id >= limit) {
        throw new IllegalArgumentException(
            "token id "
                + id
                + " is outside the embedding table of "
                + limit
                + " rows (placeholder ids need their extra rows)");
      }
    }
    return values;
  }

  @Override
  public void close() {
    manager.close();
  }
}
