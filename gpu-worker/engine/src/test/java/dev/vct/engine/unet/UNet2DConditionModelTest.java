package dev.vct.engine.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.AttentionProcessor;
import dev.vct.engine.nn.ComponentFiles;
import dev.vct.engine.nn.DefaultAttentionProcessor;
import dev.vct.engine.nn.DiffusersConfigs;
import dev.vct.engine.nn.SlicedAttentionProcessor;
import dev.vct.engine.tensor.MissingWeightException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UNet2DConditionModelTest {
  private static final List<String> TINY_LAYERS =
      List.of(
          "down_blocks.0.attentions.0.transformer_blocks.0.attn1",
          "down_blocks.0.attentions.0.transformer_blocks.0.attn2",
          "up_blocks.1.attentions.0.transformer_blocks.0.attn1",
          "up_blocks.1.attentions.0.transformer_blocks.0.attn2",
          "up_blocks.1.attentions.1.transformer_blocks.0.attn1",
          "up_blocks.1.attentions.1.transformer_blocks.0.attn2",
          "mid_block.attentions.0.transformer_blocks.0.attn1",
          "mid_block.attentions.0.transformer_blocks.0.attn2");

  @TempDir static Path tmp;
  private static NDManager manager;
  private static UNet2DConditionModel unet;

  @BeforeAll
  static void loadTinyUNet() throws Exception {
    manager = NDManager.newBaseManager();
    unet =
        UNet2DConditionModel.load(
            TinyUNets.write(tmp.resolve("unet"), TinyUNets.CONFIG, 1), manager);
  }

  @AfterAll
  static void close() {
    unet.close();
    manager.close();
  }

  private static NDArray sample(NDManager m, int batch) {
    return m.randomNormal(new Shape(batch, 4, 8, 8));
  }

  private static NDArray context(NDManager m, int batch) {
    return m.randomNormal(new Shape(batch, 7, 16));
  }

  private static float maxAbsDiff(NDArray a, NDArray b) {
    return a.sub(b).abs().max().getFloat();
  }

  @Test
  void perElementTimestepsMatchSeparateCalls() {
    try (NDManager m = manager.newSubManager()) {
      NDArray x = sample(m, 2);
      NDArray c = context(m, 2);
      NDArray both = unet.forward(x, m.create(new long[] {10, 700}), c);
      NDArray first = unet.forward(x.get("0:1"), m.create(10L), c.get("0:1"));
      NDArray second = unet.forward(x.get("1:2"), m.create(new long[] {700}), c.get("1:2"));
      assertTrue(maxAbsDiff(both, NDArrays.concat(new NDList(first, second))) < 1e-5f);
      assertTrue(maxAbsDiff(first, second) > 1e-3f, "the timestep must change the prediction");
    }
  }

  @Test
  void oneTimestepAppliesToTheWholeBatch() {
    try (NDManager m = manager.newSubManager()) {
      NDArray x = sample(m, 3);
      NDArray c = context(m, 3);
      NDArray scalar = unet.forward(x, 321, c, AttentionContext.SINGLE_PASS);
      NDArray perElement = unet.forward(x, m.create(new float[] {321, 321, 321}), c);
      assertEquals(new Shape(3, 4, 8, 8), scalar.getShape());
      assertTrue(maxAbsDiff(scalar, perElement) < 1e-6f);
      assertThrows(
          IllegalArgumentException.class,
          () -> unet.forward(x, m.create(new long[] {1, 2}), c),
          "two timesteps for a batch of three");
    }
  }

  /**
   * Calls at one timestep reuse its projected time embedding: a repeated call, at any batch, gives
   * the bits of a call that projects it afresh (a timestep array is never taken from the cache).
   */
  @Test
  void repeatedTimestepsGiveTheBitsOfAFreshProjection() {
    try (NDManager m = manager.newSubManager()) {
      for (int batch : new int[] {1, 4, 1}) {
        NDArray x = sample(m, batch);
        NDArray c = context(m, batch);
        NDArray fresh = unet.forward(x, m.create(417L), c);
        for (int repeat = 0; repeat < 2; repeat++) {
          NDArray cached = unet.forward(x, 417, c, AttentionContext.SINGLE_PASS);
          assertArrayEquals(fresh.toFloatArray(), cached.toFloatArray());
        }
      }
      // more timesteps than the cache keeps, then the first again
      NDArray x = sample(m, 1);
      NDArray c = context(m, 1);
      for (int t = 0; t <= UNet2DConditionModel.TIME_SHIFT_CACHE; t++) {
        unet.forward(x, 100 + t, c, AttentionContext.SINGLE_PASS);
      }
      assertArrayEquals(
          unet.forward(x, m.create(100L), c).toFloatArray(),
          unet.forward(x, 100, c, AttentionContext.SINGLE_PASS).toFloatArray());
    }
  }

  /**
   * With plain attention everywhere the network runs as one TorchScript call; any other processor
   * (here a pass-through) runs it operator by operator in Java. Both run the same kernels, so the
   * prediction and the gradient reaching the context are the same to the bit (fusion's content
   * branch relies on it: content inversion's latent update is scripted, fusion's edited calls are
   * not).
   */
  @Test
  void scriptedCallEqualsTheOperatorByOperatorPathBitForBit() {
    AttentionProcessor passThrough = call -> DefaultAttentionProcessor.INSTANCE.attend(call);
    for (int batch : new int[] {1, 3}) {
      float[][] outputs = new float[2][];
      float[][] gradients = new float[2][];
      for (int path = 0; path < 2; path++) {
        try (NDManager m = manager.newSubManager()) {
          m.getEngine().setRandomSeed(11);
          NDArray x = sample(m, batch);
          NDArray c = context(m, batch);
          c.setRequiresGradient(true);
          unet.setAttentionProcessor(path == 0 ? DefaultAttentionProcessor.INSTANCE : passThrough);
          try (GradientCollector gc = m.getEngine().newGradientCollector()) {
            NDArray out = unet.forward(x, 250, c, AttentionContext.SINGLE_PASS);
            outputs[path] = out.toFloatArray();
            gc.backward(out.square().mean());
          } finally {
            unet.setAttentionProcessor(DefaultAttentionProcessor.INSTANCE);
          }
          gradients[path] = c.getGradient().toFloatArray();
        }
      }
      assertArrayEquals(outputs[0], outputs[1], "batch " + batch);
      assertArrayEquals(gradients[0], gradients[1], "batch " + batch);
      assertTrue(
          Arrays.stream(toDoubles(gradients[0])).anyMatch(g -> g != 0),
          "the gradient reaches the context");
    }
  }

  /**
   * The worker runs stages on several threads against one loaded model: concurrent calls of the
   * same UNet, its TorchScript function compiled by whichever call comes first, give each caller
   * exactly what it gets alone. Caller 0 backpropagates (DJL allows one gradient collector per
   * process, so only one caller does), the others predict only, as fusion does beside an inversion.
   */
  @Test
  void concurrentCallsOfOneModelGiveEachCallerItsOwnResult() throws Exception {
    int callers = 4;
    try (NDManager m = NDManager.newBaseManager();
        UNet2DConditionModel fresh =
            UNet2DConditionModel.load(
                TinyUNets.write(tmp.resolve("concurrent"), TinyUNets.CONFIG, 5), m)) {
      float[][] samples = new float[callers][];
      float[][] contexts = new float[callers][];
      for (int i = 0; i < callers; i++) {
        samples[i] = sample(m, 1 + i % 2).toFloatArray();
        contexts[i] = context(m, 1 + i % 2).toFloatArray();
      }
      ExecutorService pool = Executors.newFixedThreadPool(callers);
      try {
        List<Future<float[][]>> first = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
          int k = i;
          first.add(pool.submit(() -> predictAndGradient(fresh, m, samples[k], contexts[k], k)));
        }
        for (int i = 0; i < callers; i++) {
          float[][] alone = predictAndGradient(fresh, m, samples[i], contexts[i], i);
          float[][] concurrent = first.get(i).get();
          assertArrayEquals(alone[0], concurrent[0], "prediction of caller " + i);
          assertArrayEquals(alone[1], concurrent[1], "gradient of caller " + i);
          if (i == 0) {
            assertTrue(Arrays.stream(toDoubles(alone[1])).anyMatch(g -> g != 0), "a gradient");
          }
          List<Future<float[][]>> again = new ArrayList<>();
          for (int r = 0; r < 3; r++) {
            int k = i;
            again.add(pool.submit(() -> predictAndGradient(fresh, m, samples[k], contexts[k], k)));
          }
          for (Future<float[][]> f : again) {
            assertArrayEquals(alone[0], f.get()[0], "prediction of caller " + i);
            assertArrayEquals(alone[1], f.get()[1], "gradient of caller " + i);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /**
   * One scripted pass of {@code unet}; for caller 0 also the gradient of mean(out²) at the context
   * (empty for the others).
   */
  private static float[][] predictAndGradient(
      UNet2DConditionModel unet, NDManager parent, float[] sample, float[] context, int caller) {
    int batch = sample.length / (4 * 8 * 8);
    try (NDManager m = parent.newSubManager()) {
      NDArray x = m.create(sample, new Shape(batch, 4, 8, 8));
      NDArray c = m.create(context, new Shape(batch, 7, 16));
      long t = 100 + 250 * caller;
      if (caller != 0) {
        return new float[][] {
          unet.forward(x, t, c, AttentionContext.SINGLE_PASS).toFloatArray(), new float[0]
        };
      }
      c.setRequiresGradient(true);
      float[] out;
      synchronized (UNet2DConditionModelTest.class) {
        try (GradientCollector gc = m.getEngine().newGradientCollector()) {
          NDArray prediction = unet.forward(x, t, c, AttentionContext.SINGLE_PASS);
          out = prediction.toFloatArray();
          gc.backward(prediction.square().mean());
        }
      }
      return new float[][] {out, c.getGradient().toFloatArray()};
    }
  }

  private static double[] toDoubles(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  @Test
  void slicedAttentionGivesTheSameSampleAsDefaultAttention() {
    try (NDManager m = manager.newSubManager()) {
      NDArray x = sample(m, 2);
      NDArray c = context(m, 2);
      NDArray t = m.create(500L);
      NDArray expected = unet.forward(x, t, c);
      try {
        // 2 batch x 2 heads x 64 keys per query: 300 elements allow 1 query per slice.
        unet.setAttentionProcessor(new SlicedAttentionProcessor(300));
        assertTrue(maxAbsDiff(expected, unet.forward(x, t, c)) < 1e-5f);
      } finally {
        unet.setAttentionProcessor(DefaultAttentionProcessor.INSTANCE);
      }
    }
  }

  @Test
  void attentionLayersAreListedByModulePathInDiffusersOrder() {
    assertEquals(TINY_LAYERS, List.copyOf(unet.attentionProcessors().keySet()));
  }

  @Test
  void replacementMapRoutesToTheNamedLayersOnly() {
    List<String> spied = List.of(TINY_LAYERS.get(1), TINY_LAYERS.get(6));
    List<String> calls = new ArrayList<>();
    List<Integer> steps = new ArrayList<>();
    AttentionProcessor spy =
        call -> {
          calls.add(call.path());
          steps.add(call.context().step());
          assertEquals(call.path().endsWith("attn2"), call.cross());
          return DefaultAttentionProcessor.INSTANCE.attend(call);
        };
    Map<String, AttentionProcessor> processors = new LinkedHashMap<>(unet.attentionProcessors());
    spied.forEach(path -> processors.put(path, spy));
    try (NDManager m = manager.newSubManager()) {
      NDArray x = sample(m, 1);
      NDArray c = context(m, 1);
      NDArray expected = unet.forward(x, m.create(3L), c);
      unet.setAttentionProcessors(processors);
      NDArray actual = unet.forward(x, 3, c, new AttentionContext(17));
      assertEquals(spied, calls);
      assertEquals(List.of(17, 17), steps);
      assertTrue(maxAbsDiff(expected, actual) < 1e-6f);
    } finally {
      unet.setAttentionProcessor(DefaultAttentionProcessor.INSTANCE);
    }
  }

  @Test
  void replacementMapMustNameEveryLayerExactly() {
    Map<String, AttentionProcessor> unknown = new LinkedHashMap<>(unet.attentionProcessors());
    unknown.put("down_blocks.9.attentions.0.transformer_blocks.0.attn1", call -> null);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> unet.setAttentionProcessors(unknown));
    assertTrue(e.getMessage().contains("unknown layers [down_blocks.9"), e.getMessage());

    Map<String, AttentionProcessor> partial = new LinkedHashMap<>(unet.attentionProcessors());
    partial.remove(TINY_LAYERS.get(0));
    SlicedAttentionProcessor sliced = new SlicedAttentionProcessor(10);
    partial.replaceAll((path, p) -> sliced);
    e = assertThrows(IllegalArgumentException.class, () -> unet.setAttentionProcessors(partial));
    assertTrue(e.getMessage().contains("missing layers [" + TINY_LAYERS.get(0) + "]"));
    assertTrue(
        unet.attentionProcessors().values().stream()
            .allMatch(p -> p == DefaultAttentionProcessor.INSTANCE),
        "a rejected map changes nothing");
  }

  @Test
  void missingMisshapenAndUnexpectedKeysAreAllReportedByName() throws Exception {
    Path dir =
        TinyUNets.write(
            tmp.resolve("broken"),
            TinyUNets.CONFIG,
            2,
            weights -> {
              NDArray bias = weights.remove("conv_in.bias");
              weights.remove("mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight");
              weights.put("up_blocks.1.resnets.0.norm1.bias", bias.get("0:5"));
              weights.put("down_blocks.0.attentions.0.proj_in.lora.weight", bias);
              return weights;
            });
    MissingWeightException e =
        assertThrows(MissingWeightException.class, () -> UNet2DConditionModel.load(dir, manager));
    String message = e.getMessage();
    for (String expected :
        List.of(
            "missing 2",
            "conv_in.bias",
            "mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight",
            "up_blocks.1.resnets.0.norm1.bias (checkpoint [5], config [96])",
            "unexpected 1: [down_blocks.0.attentions.0.proj_in.lora.weight]")) {
      assertTrue(message.contains(expected), "'" + expected + "' not in: " + message);
    }
  }

  @Test
  void linearProjectionConfigsUseLinearProjInAndOut() throws Exception {
    String config =
        TinyUNets.CONFIG.replace(
            "\"norm_num_groups\": 8", "\"norm_num_groups\": 8, \"use_linear_projection\": true");
    Map<String, Shape> shapes =
        UNet2DConditionModel.expectedWeightShapes(
            UNetConfig.fromJson(DiffusersConfigs.readTree(config)));
    assertEquals(new Shape(32, 32), shapes.get("down_blocks.0.attentions.0.proj_in.weight"));
    assertEquals(new Shape(64, 64), shapes.get("mid_block.attentions.0.proj_out.weight"));
    try (NDManager m = manager.newSubManager();
        UNet2DConditionModel linear =
            UNet2DConditionModel.load(TinyUNets.write(tmp.resolve("linear"), config, 3), m)) {
      NDArray out = linear.forward(sample(m, 1), m.create(5L), context(m, 1));
      assertEquals(new Shape(1, 4, 8, 8), out.getShape());
    }
  }

  @Test
  void unsupportedOrInconsistentConfigsAreRejectedWithTheOffendingValues() {
    IllegalArgumentException feature =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UNetConfig.fromJson(
                    DiffusersConfigs.readTree(
                        "{\"class_embed_type\": \"timestep\", \"addition_embed_type\": null}")));
    assertTrue(
        feature.getMessage().contains("class_embed_type=\"timestep\""), feature.getMessage());

    IllegalArgumentException heads =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UNetConfig.fromJson(
                    DiffusersConfigs.readTree(
                        TinyUNets.CONFIG.replace(
                            "\"attention_head_dim\": 2", "\"attention_head_dim\": 3"))));
    assertTrue(
        heads
            .getMessage()
            .contains("block_out_channels[0]=32 cannot be split into attention_head_dim=3 heads"),
        heads.getMessage());
  }

  @Test
  void centerInputSampleMapsTheSampleToTwiceMinusOne() throws Exception {
    String config =
        TinyUNets.CONFIG.replace(
            "\"norm_num_groups\": 8", "\"norm_num_groups\": 8, \"center_input_sample\": true");
    try (NDManager m = manager.newSubManager();
        UNet2DConditionModel centered =
            UNet2DConditionModel.load(TinyUNets.write(tmp.resolve("centered"), config, 1), m)) {
      NDArray x = sample(m, 1);
      NDArray c = context(m, 1);
      NDArray t = m.create(9L);
      NDArray viaCentering = centered.forward(x, t, c);
      NDArray direct = unet.forward(x.mul(2).sub(1), t, c);
      assertTrue(maxAbsDiff(viaCentering, direct) < 1e-5f);
    }
  }

  @Test
  void theFp16VariantIsFoundAndWidenedToFloat32() throws Exception {
    Path dir =
        TinyUNets.write(
            tmp.resolve("fp16"),
            TinyUNets.CONFIG,
            1,
            weights -> {
              weights.replaceAll((key, w) -> w.toType(DataType.FLOAT16, false));
              return weights;
            });
    Files.move(dir.resolve(ComponentFiles.WEIGHTS), dir.resolve(ComponentFiles.WEIGHTS_FP16));
    try (NDManager m = manager.newSubManager();
        UNet2DConditionModel half = UNet2DConditionModel.load(dir, m)) {
      NDArray x = sample(m, 1);
      NDArray c = context(m, 1);
      NDArray t = m.create(40L);
      NDArray out = half.forward(x, t, c);
      assertEquals(DataType.FLOAT32, out.getDataType());
      // the same seed as the float32 model: only the rounding of the weights differs
      assertTrue(maxAbsDiff(out, unet.forward(x, t, c)) < 2e-2f);
    }
  }
}
