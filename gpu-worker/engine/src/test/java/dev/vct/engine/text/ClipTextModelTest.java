package dev.vct.engine.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vct.engine.model.TinyModelWriter;
import dev.vct.engine.model.TinyModelWriter.WeightDtype;
import dev.vct.engine.tensor.MissingWeightException;
import dev.vct.engine.tensor.StateDict;
import dev.vct.engine.tokenizer.ClipTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The text encoder on the tiny pipeline that {@code vct init-tiny} writes (random weights). */
class ClipTextModelTest {

  @TempDir static Path pipeline;

  private static NDManager root;
  private static ClipTextModel model;
  private static ClipTokenizer tokenizer;

  @BeforeAll
  static void writeTinyPipeline() throws IOException {
    new TinyModelWriter(7, WeightDtype.FP32).write(pipeline);
    root = NDManager.newBaseManager();
    model = ClipTextModel.load(pipeline.resolve("text_encoder"), root);
    tokenizer = ClipTokenizer.load(pipeline.resolve("tokenizer"));
  }

  @AfterAll
  static void closeModel() {
    model.close();
    root.close();
  }

  @Test
  void encodesAPromptToTheContextAndPoolsTheEndOfTextRow() {
    try (NDManager m = root.newSubManager()) {
      long[] ids = tokenizer.encode("a photo of a cat").ids();
      ClipTextOutput out = model.forward(m.create(ids, new Shape(1, 77)));
      assertEquals(new Shape(1, 77, 32), out.lastHiddenState().getShape());
      assertEquals(new Shape(1, 32), out.poolerOutput().getShape());
      assertTrue(allFinite(out.lastHiddenState()));
      int eos = indexOf(ids, tokenizer.eosId());
      assertArrayEquals(
          out.lastHiddenState().get(0, eos).toFloatArray(), out.poolerOutput().toFloatArray());
      // Final layer norm: each row has (nearly) zero mean before its affine, here order one.
      assertTrue(out.lastHiddenState().abs().max().getFloat() < 50);
    }
  }

  @Test
  void fp16WeightsLoadAsFloat32AndGiveNearlyTheSameOutput(@TempDir Path fp16Pipeline)
      throws IOException {
    new TinyModelWriter(7, WeightDtype.FP16).write(fp16Pipeline);
    assertTrue(Files.exists(fp16Pipeline.resolve("text_encoder/model.fp16.safetensors")));
    try (NDManager m = root.newSubManager();
        ClipTextModel half = ClipTextModel.load(fp16Pipeline.resolve("text_encoder"), m)) {
      NDArray ids = m.create(tokenizer.encode("a red fox").ids(), new Shape(1, 77));
      NDArray full = model.forward(ids).lastHiddenState();
      NDArray rounded = half.forward(ids).lastHiddenState();
      assertEquals(DataType.FLOAT32, rounded.getDataType());
      assertTrue(full.sub(rounded).abs().max().getFloat() < 2e-2f);
    }
  }

  @Test
  void lookupThenTransformerEqualsForward() {
    try (NDManager m = root.newSubManager()) {
      NDArray ids = m.create(tokenizer.encode("an oil painting").ids(), new Shape(1, 77));
      assertArrayEquals(
          model.forward(ids).lastHiddenState().toFloatArray(),
          model.forwardEmbeddings(model.embed(ids)).toFloatArray());
    }
  }

  @Test
  void placeholderIdsReadTheExtraRowsAndOtherIdsTheTable() {
    ClipTokenizer vct = tokenizer.withPlaceholder("<c>", 3);
    try (NDManager m = root.newSubManager()) {
      NDArray rows = randomNormal(m, 11, 3, 32);
      long[] ids = vct.encode("a <c> dog").ids();
      NDArray embedded = model.embed(m.create(ids, new Shape(1, 77)), rows);
      int[] placeholderIds = vct.placeholderIds("<c>");
      for (int i = 0; i < 77; i++) {
        int k = indexOf(placeholderIds, ids[i]);
        NDArray expected = k >= 0 ? rows.get(k) : model.tokenEmbedding().get(ids[i]);
        assertArrayEquals(expected.toFloatArray(), embedded.get(0, i).toFloatArray(), "pos " + i);
      }
      NDArray outside = m.create(new long[] {1, 1000 + 3}, new Shape(1, 2));
      assertThrows(IllegalArgumentException.class, () -> model.embed(outside, rows));
      assertThrows(IllegalArgumentException.class, () -> model.embed(outside));
    }
  }

  @Test
  void gradientWithRespectToPlaceholderRowsMatchesFiniteDifferences() {
    ClipTokenizer vct = tokenizer.withPlaceholder("<c>", 3);
    // Two of the three rows are used; the third must get a zero gradient.
    long[] prompt = vct.encode("a photo of <c>").ids();
    int third = indexOf(prompt, vct.placeholderIds("<c>")[2]);
    prompt[third] = tokenizer.tokenIds("dog")[0];
    try (NDManager m = root.newSubManager()) {
      NDArray ids = m.create(prompt, new Shape(1, 77));
      NDArray rows = randomNormal(m, 3, 3, 32).mul(0.5f);
      NDArray weights = randomNormal(m, 5, 1, 77, 32);
      NDArray gradient;
      NDArray leaf = rows.duplicate();
      leaf.setRequiresGradient(true);
      try (GradientCollector gc = m.getEngine().newGradientCollector()) {
        NDArray loss = model.forward(ids, leaf).lastHiddenState().mul(weights).sum();
        // Pitfall: the GC running between forward and backward breaks scalar-shortcut graphs.
        System.gc();
        gc.backward(loss);
        gradient = leaf.getGradient().duplicate();
      }
      assertFalse(model.tokenEmbedding().hasGradient(), "the table is not trainable");
      float[] g = gradient.toFloatArray();
      for (int j = 64; j < 96; j++) {
        assertEquals(0f, g[j], "row 2 is not in the prompt");
      }
      Random random = new Random(3);
      float eps = 1e-2f;
      for (int trial = 0; trial < 4; trial++) {
        NDArray direction = randomNormal(m, random.nextInt(), 3, 32);
        double analytic = gradient.mul(direction).sum().getFloat();
        double plus = loss(model, ids, rows.add(direction.mul(eps)), weights);
        double minus = loss(model, ids, rows.sub(direction.mul(eps)), weights);
        double numeric = (plus - minus) / (2 * eps);
        assertEquals(
            analytic,
            numeric,
            2e-2 * Math.max(1, Math.abs(analytic)),
            "directional derivative " + trial);
      }
    }
  }

  @Test
  void memoryStaysFlatOver200ForwardBackwardSteps() {
    ClipTokenizer vct = tokenizer.withPlaceholder("<c>", 3);
    try (NDManager training = root.newSubManager()) {
      NDArray rows = randomNormal(training, 17, 3, 32);
      NDArray target = randomNormal(training, 19, 1, 77, 32);
      long[] ids = vct.encode("<c>").ids();
      int allArrays = root.getManagedArrays().size();
      int trainingArrays = training.getManagedArrays().size();
      long rssAfterWarmup = 0;
      float firstLoss = 0;
      float lastLoss = 0;
      for (int step = 0; step < 200; step++) {
        try (NDManager scope = training.newSubManager()) {
          NDArray leaf = rows.duplicate();
          leaf.attach(scope);
          leaf.setRequiresGradient(true);
          NDArray gradient;
          float loss;
          try (GradientCollector gc = scope.getEngine().newGradientCollector()) {
            NDArray hidden =
                model.forward(scope.create(ids, new Shape(1, 77)), leaf).lastHiddenState();
            NDArray value = hidden.sub(target).square().mean();
            gc.backward(value);
            loss = value.getFloat();
            gradient = leaf.getGradient();
          }
          rows.subi(gradient.mul(scope.full(new Shape(), 0.5f)));
          if (step == 0) {
            firstLoss = loss;
          }
          lastLoss = loss;
        }
        if (step == 20) {
          rssAfterWarmup = residentBytes();
        }
      }
      assertEquals(trainingArrays, training.getManagedArrays().size(), "step scopes leak");
      assertEquals(allArrays, root.getManagedArrays().size(), "the model's manager grows");
      long growth = residentBytes() - rssAfterWarmup;
      assertTrue(growth < 64L << 20, "resident memory grew by " + (growth >> 20) + " MiB");
      assertTrue(lastLoss < firstLoss, "training the rows lowers the loss");
    }
  }

  @Test
  void oldConfigsPoolAtTheLargestIdNewOnesAtTheFirstEos() throws IOException {
    ClipTextConfig config = model.config();
    ClipTextConfig legacy =
        new ClipTextConfig(
            config.vocabSize(),
            config.hiddenSize(),
            config.intermediateSize(),
            config.numAttentionHeads(),
            config.numHiddenLayers(),
            config.maxPositionEmbeddings(),
            config.hiddenAct(),
            config.layerNormEps(),
            0,
            2,
            1);
    try (NDManager m = root.newSubManager();
        StateDict weights = StateDict.open(pipeline.resolve("text_encoder/model.safetensors"));
        ClipTextModel old = ClipTextModel.load(legacy, weights, m)) {
      // eos (2) at 1 and 3, the largest id at 2.
      NDArray ids = m.create(new long[] {0, 2, 900, 2, 5, 5}, new Shape(1, 6));
      NDArray hidden = old.forward(ids).lastHiddenState();
      assertArrayEquals(
          hidden.get(0, 2).toFloatArray(), old.forward(ids).poolerOutput().get(0).toFloatArray());
      NDArray modern = m.create(new long[] {0, 2, 900, 2, 5, 5}, new Shape(1, 6));
      NDArray h = model.forward(modern).lastHiddenState();
      assertArrayEquals(
          h.get(0, 0).toFloatArray(),
          model.forward(modern).poolerOutput().get(0).toFloatArray(),
          "no eos: row 0");
    }
  }

  @Test
  void configAndWeightsThatDisagreeFailNamingTheKeys() throws IOException {
    ObjectNode json =
        (ObjectNode)
            new ObjectMapper().readTree(pipeline.resolve("text_encoder/config.json").toFile());
    json.put("num_hidden_layers", 4);
    MissingWeightException e;
    try (StateDict weights = StateDict.open(pipeline.resolve("text_encoder/model.safetensors"))) {
      e =
          assertThrows(
              MissingWeightException.class,
              () -> ClipTextModel.load(ClipTextConfig.fromJson(json), weights, root));
    }
    assertTrue(
        e.getMessage().contains("text_model.encoder.layers.3.mlp.fc1.weight"), e.getMessage());

    json.put("num_hidden_layers", 3).put("hidden_act", "relu");
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> ClipTextConfig.fromJson(json));
    assertTrue(bad.getMessage().contains("relu"));
    json.put("hidden_act", "gelu").put("num_attention_heads", 5);
    assertThrows(IllegalArgumentException.class, () -> ClipTextConfig.fromJson(json));
  }

  private static double loss(ClipTextModel model, NDArray ids, NDArray rows, NDArray weights) {
    return model
        .forward(ids, rows)
        .lastHiddenState()
        .toType(DataType.FLOAT64, false)
        .mul(weights.toType(DataType.FLOAT64, false))
        .sum()
        .getDouble();
  }

  private static NDArray randomNormal(NDManager m, long seed, long... shape) {
    Random random = new Random(seed);
    float[] values = new float[Math.toIntExact(new Shape(shape).size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return m.create(values, new Shape(shape)).duplicate();
  }

  private static boolean allFinite(NDArray x) {
    for (float v : x.toFloatArray()) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(long[] values, long value) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] == value) {
        return i;
      }
    }
    return -1;
  }

  private static int indexOf(int[] values, long value) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] == value) {
        return i;
      }
    }
    return -1;
  }

  private static long residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
