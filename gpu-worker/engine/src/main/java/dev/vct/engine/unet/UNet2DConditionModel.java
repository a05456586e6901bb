package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vct.engine.nn.Activations;
import dev.vct.engine.nn.Attention;
import dev.vct.engine.nn.AttentionContext;
import dev.vct.engine.nn.AttentionProcessor;
import dev.vct.engine.nn.CheckpointWeights;
import dev.vct.engine.nn.ComponentFiles;
import dev.vct.engine.nn.Conv2d;
import dev.vct.engine.nn.DefaultAttentionProcessor;
import dev.vct.engine.nn.Downsample2D;
import dev.vct.engine.nn.GroupNorm;
import dev.vct.engine.nn.Linear;
import dev.vct.engine.nn.ResnetBlock2D;
import dev.vct.engine.nn.Scoped;
import dev.vct.engine.nn.ScriptWriter;
import dev.vct.engine.nn.ScriptableAttentionProcessor;
import dev.vct.engine.nn.ScriptedAttention;
import dev.vct.engine.nn.SlicedAttentionProcessor;
import dev.vct.engine.nn.TorchScriptFunction;
import dev.vct.engine.nn.Upsample2D;
import dev.vct.engine.nn.WeightShapes;
import dev.vct.engine.nn.WeightSource;
import dev.vct.engine.tensor.StateDict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * The SD-1.x noise-prediction UNet (diffusers {@code UNet2DConditionModel}), built from the
 * checkpoint's own config and loaded by exact checkpoint key.
 *
 * <p>Weights are plain arrays without gradients: backpropagation reaches the inputs (the encoder
 * hidden states, the sample) but never the weights. Each block frees its temporaries when it
 * returns ({@link dev.vct.engine.nn.Scoped}); the result belongs to the manager of the {@code
 * sample}, so a caller running steps gives each step its own manager.
 *
 * <p>Attention layers are listed by module path ({@code
 * down_blocks.0.attentions.0.transformer_blocks.0.attn1}, ...) in diffusers' order (down blocks, up
 * blocks, mid block) and their processors can be replaced per layer.
 */
public final class UNet2DConditionModel implements AutoCloseable {
  private final UNetConfig config;
  private final NDManager manager;
  private final Timesteps timeProj;
  private final TimestepEmbedding timeEmbedding;
  private final Conv2d convIn;
  private final List<DownBlock> downBlocks;
  private final MidBlock midBlock;
  private final List<UpBlock> upBlocks;
  private final GroupNorm convNormOut;
  private final Conv2d convOut;
  private final NDArray two; // 0-d constants for center_input_sample
  private final NDArray one;
  private final Map<String, Attention> attentions;
  // every resnet's time_emb_proj stacked into one product, resnets in call order (down, mid, up);
  // each resnet's share of the output (its width) starts at the previous shares' sum
  private final Linear timeProjections;
  private final long[] timeShiftWidths;
  private final long[] timeShiftStarts; // from the second resnet on
  private final long timeShiftWidth; // the sum of the widths

  /**
   * How many (timestep, batch) pairs' time shifts {@link #forward(NDArray, long, NDArray,
   * AttentionContext)} keeps (host copies, most recently used first): a stage's passes at one
   * timestep are consecutive (content inversion: ε_c, the inner steps and the latent update).
   */
  public static final int TIME_SHIFT_CACHE = 8;

  private record TimeShiftKey(long timestep, long batch) {}

  private final Map<TimeShiftKey, float[]> timeShiftCache =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<TimeShiftKey, float[]> eldest) {
          return size() > TIME_SHIFT_CACHE;
        }
      };
  private final long maxHeads;
  // the whole network as one native call, one per attention script (ScriptedAttention.key): the
  // plain one made at load, others on first use
  private final Map<String, TorchScriptFunction> scripts = new HashMap<>();

  private UNet2DConditionModel(UNetConfig config, NDManager manager, WeightSource w) {
    this.config = config;
    this.manager = manager;
    List<Integer> channels = config.blockOutChannels();
    int blocks = config.blocks();
    int groups = config.normNumGroups();
    float eps = config.normEps().floatValue();
    long temb = config.timeEmbedDim();

    timeProj = new Timesteps(manager, channels.get(0), config.flipSinToCos(), config.freqShift());
    timeEmbedding = TimestepEmbedding.load(w, "time_embedding", channels.get(0), temb);
    int inKernel = config.convInKernel();
    convIn =
        Conv2d.load(w, "conv_in", config.inChannels(), channels.get(0), inKernel, 1, inKernel / 2);

    // every resnet's time_emb_proj in call order (down, mid, up), stacked below
    List<Linear> projections = new ArrayList<>();
    List<DownBlock> down = new ArrayList<>();
    long outChannels = channels.get(0);
    for (int i = 0; i < blocks; i++) {
      long inChannels = outChannels;
      outChannels = channels.get(i);
      String prefix = "down_blocks." + i;
      boolean cross = config.downBlockTypes().get(i).equals(UNetConfig.CROSS_ATTN_DOWN);
      List<ResnetBlock2D> resnets = new ArrayList<>();
      List<Transformer2DModel> transformers = new ArrayList<>();
      for (int j = 0; j < config.layersPerBlock().get(i); j++) {
        resnets.add(
            resnet(
                w,
                prefix + ".resnets." + j,
                j == 0 ? inChannels : outChannels,
                outChannels,
                temb,
                groups,
                eps,
                1.0,
                projections));
        if (cross) {
          transformers.add(transformer(w, prefix + ".attentions." + j, outChannels, i));
        }
      }
      Downsample2D downsampler =
          i < blocks - 1
              ? Downsample2D.load(
                  w, prefix + ".downsamplers.0", outChannels, config.downsamplePadding())
              : null;
      down.add(new DownBlock(resnets, transformers, downsampler));
    }
    downBlocks = List.copyOf(down);

    long midChannels = channels.get(blocks - 1);
    int last = blocks - 1;
    midBlock =
        new MidBlock(
            List.of(
                resnet(
                    w,
                    "mid_block.resnets.0",
                    midChannels,
                    midChannels,
                    temb,
                    groups,
                    eps,
                    config.midBlockScaleFactor(),
                    projections),
                resnet(
                    w,
                    "mid_block.resnets.1",
                    midChannels,
                    midChannels,
                    temb,
                    groups,
                    eps,
                    config.midBlockScaleFactor(),
                    projections)),
            List.of(transformer(w, "mid_block.attentions.0", midChannels, last)));

    List<UpBlock> up = new ArrayList<>();
    outChannels = channels.get(last);
    for (int i = 0; i < blocks; i++) {
      int level = last - i; // the down level this up block mirrors
      long prevOutput = outChannels;
      outChannels = channels.get(level);
      long inChannels = channels.get(Math.max(level - 1, 0));
      String prefix = "up_blocks." + i;
      boolean cross = config.upBlockTypes().get(i).equals(UNetConfig.CROSS_ATTN_UP);
      int layers = config.layersPerBlock().get(level) + 1;
      List<ResnetBlock2D> resnets = new ArrayList<>();
      List<Transformer2DModel> transformers = new ArrayList<>();
      for (int j = 0; j < layers; j++) {
        long skip = j == layers - 1 ? inChannels : outChannels;
        long resnetIn = j == 0 ? prevOutput : outChannels;
        resnets.add(
            resnet(
                w,
                prefix + ".resnets." + j,
                resnetIn + skip,
                outChannels,
                temb,
                groups,
                eps,
                1.0,
                projections));
        if (cross) {
          transformers.add(transformer(w, prefix + ".attentions." + j, outChannels, level));
        }
      }
      Upsample2D upsampler =
          i < blocks - 1 ? Upsample2D.load(w, prefix + ".upsamplers.0", outChannels) : null;
      up.add(new UpBlock(resnets, transformers, upsampler));
    }
    upBlocks = List.copyOf(up);
    timeShiftWidths = projections.stream().mapToLong(Linear::outFeatures).toArray();
    timeShiftStarts = new long[timeShiftWidths.length - 1];
    for (int i = 1; i < timeShiftWidths.length; i++) {
      timeShiftStarts[i - 1] = (i == 1 ? 0 : timeShiftStarts[i - 2]) + timeShiftWidths[i - 1];
    }
    timeProjections = Linear.stack(projections.toArray(Linear[]::new));
    timeShiftWidth = Arrays.stream(timeShiftWidths).sum();

    convNormOut = GroupNorm.load(w, "conv_norm_out", groups, channels.get(0), eps);
    int outKernel = config.convOutKernel();
    convOut =
        Conv2d.load(
            w, "conv_out", channels.get(0), config.outChannels(), outKernel, 1, outKernel / 2);
    two = manager.full(new Shape(), 2f);
    one = manager.full(new Shape(), 1f);

    Map<String, Attention> byPath = new LinkedHashMap<>();
    downBlocks.forEach(b -> b.attentionLayers().forEach(a -> byPath.put(a.path(), a)));
    upBlocks.forEach(b -> b.attentionLayers().forEach(a -> byPath.put(a.path(), a)));
    midBlock.attentionLayers().forEach(a -> byPath.put(a.path(), a));
    attentions = byPath;
    maxHeads = byPath.values().stream().mapToLong(Attention::heads).max().orElse(0);
  }

  /** The transformer of down level {@code level} (heads, depth and context width per level). */
  private Transformer2DModel transformer(WeightSource w, String prefix, long channels, int level) {
    return Transformer2DModel.load(
        w,
        prefix,
        channels,
        config.attentionHeadDim().get(level),
        config.transformerLayersPerBlock().get(level),
        config.crossAttentionDim().get(level),
        config.normNumGroups(),
        config.useLinearProjection());
  }

  /**
   * Loads a diffusers {@code unet/} folder: {@code config.json} and {@code
   * diffusion_pytorch_model.safetensors} (or its {@code .fp16} variant). Weights live in a
   * sub-manager of {@code manager}, freed by {@link #close()}.
   */
  public static UNet2DConditionModel load(Path componentDir, NDManager manager) {
    UNetConfig config = UNetConfig.read(ComponentFiles.config(componentDir));
    try (StateDict weights = StateDict.open(ComponentFiles.weights(componentDir))) {
      return create(config, weights, manager);
    }
  }

  /**
   * Builds the model for {@code config} from {@code weights}, which must hold exactly the keys the
   * config implies; otherwise fails naming every missing, mis-shaped and unexpected key.
   */
  public static UNet2DConditionModel create(
      UNetConfig config, StateDict weights, NDManager manager) {
    NDManager own = manager.newSubManager();
    try {
      CheckpointWeights source = new CheckpointWeights(weights, own);
      UNet2DConditionModel model = new UNet2DConditionModel(config, own, source);
      source.verify();
      // compiled (or taken from the process's cache) with the weights, not in a call
      model.script(ScriptedAttention.PLAIN);
      return model;
    } catch (RuntimeException e) {
      own.close();
      throw e;
    }
  }

  /**
   * The checkpoint keys and shapes a model of {@code config} loads, computed from the config alone
   * (nothing of the weights' size is allocated).
   */
  public static Map<String, Shape> expectedWeightShapes(UNetConfig config) {
    try (NDManager scratch = NDManager.newBaseManager();
        WeightShapes shapes = new WeightShapes(scratch)) {
      new UNet2DConditionModel(config, shapes.manager(), shapes);
      return Map.copyOf(shapes.shapes());
    }
  }

  public UNetConfig config() {
    return config;
  }

  /** Attention processors by module path, in diffusers' order (down, up, mid). */
  public Map<String, AttentionProcessor> attentionProcessors() {
    Map<String, AttentionProcessor> processors = new LinkedHashMap<>();
    attentions.forEach((path, attention) -> processors.put(path, attention.processor()));
    return processors;
  }

  /** Installs one processor in every attention layer. */
  public void setAttentionProcessor(AttentionProcessor processor) {
    attentions.values().forEach(a -> a.setProcessor(processor));
  }

  /**
   * Installs a processor per layer. The map must name every attention layer exactly (as {@link
   * #attentionProcessors()} lists them); nothing is changed when it does not.
   */
  public void setAttentionProcessors(Map<String, ? extends AttentionProcessor> processors) {
    Set<String> unknown = new TreeSet<>(processors.keySet());
    unknown.removeAll(attentions.keySet());
    Set<String> absent = new TreeSet<>(attentions.keySet());
    absent.removeAll(processors.keySet());
    if (!unknown.isEmpty() || !absent.isEmpty()) {
      throw new IllegalArgumentException(
          "a processor map must name each of the "
              + attentions.size()
              + " attention layers exactly once; got "
              + processors.size()
              + (unknown.isEmpty() ? "" : ", unknown layers " + unknown)
              + (absent.isEmpty() ? "" : ", missing layers " + absent));
    }
    processors.forEach((path, processor) -> attentions.get(path).setProcessor(processor));
  }

  /**
   * The TorchScript functions compiled so far, by {@link ScriptedAttention#key} (one per way of
   * computing attention that a call has run with).
   */
  public synchronized Set<String> compiledScripts() {
    return Set.copyOf(scripts.keySet());
  }

  /** {@link #forward(NDArray, NDArray, NDArray, AttentionContext)} for a lone call. */
  public NDArray forward(NDArray sample, NDArray timesteps, NDArray encoderHiddenStates) {
    return forward(sample, timesteps, encoderHiddenStates, AttentionContext.SINGLE_PASS);
  }

  /**
   * The same timestep for every batch element. The time embedding of recent (timestep, batch) pairs
   * is kept (see {@link #TIME_SHIFT_CACHE}), so that repeated calls at one timestep (content
   * inversion's inner steps) project it once: the same values as projecting it again.
   */
  public NDArray forward(
      NDArray sample, long timestep, NDArray encoderHiddenStates, AttentionContext context) {
    long batch = checkInputs(sample, encoderHiddenStates);
    return run(
        sample,
        encoderHiddenStates,
        context,
        batch,
        () -> cachedTimeShifts(sample, timestep, batch));
  }

  /**
   * Predicts the noise in {@code sample}.
   *
   * @param sample (batch, in_channels, H, W) latents
   * @param timesteps one timestep for the whole batch (0-d or (1)) or one per element (batch);
   *     integer or float
   * @param encoderHiddenStates (batch, seq, cross_attention_dim) text encoder output
   * @param context passed to every attention processor
   * @return (batch, out_channels, H, W)
   */
  public NDArray forward(
      NDArray sample, NDArray timesteps, NDArray encoderHiddenStates, AttentionContext context) {
    long batch = checkInputs(sample, encoderHiddenStates);
    checkTimesteps(timesteps, batch);
    return run(
        sample, encoderHiddenStates, context, batch, () -> timeShifts(sample, timesteps, batch));
  }

  /** {@code timeShifts} gives (batch, sum of the resnets' widths, 1, 1) inside the call's scope. */
  private NDArray run(
      NDArray sample,
      NDArray encoderHiddenStates,
      AttentionContext context,
      long batch,
      Supplier<NDArray> timeShifts) {
    ScriptedAttention attention =
        scriptedAttention(sample.getShape(), encoderHiddenStates.getShape(), context);
    if (attention != null) {
      return Scoped.call(
          () -> scripted(sample, timeShifts.get(), encoderHiddenStates, batch, attention));
    }
    return Scoped.call(
        () -> compute(sample, timeShifts.get(), encoderHiddenStates, context, batch));
  }

  /**
   * How attention computes if this call runs as one TorchScript call ({@link #scripted}), with the
   * same operators as the Java path; null when it must run in Java ({@link #compute}). Plain,
   * unsliced attention in every layer is {@link ScriptedAttention#PLAIN}; one {@link
   * ScriptableAttentionProcessor} installed in every layer says itself; any other processor (one
   * that records attention, slices it, or differs between layers) runs in Java.
   */
  private ScriptedAttention scriptedAttention(
      Shape sample, Shape context, AttentionContext attentionContext) {
    long batch = sample.get(0);
    long tokens = sample.get(2) * sample.get(3);
    long scores = batch * maxHeads * tokens * Math.max(tokens, context.get(1));
    if (attentions.isEmpty()) {
      return ScriptedAttention.PLAIN;
    }
    boolean plain = true;
    AttentionProcessor shared = attentions.values().iterator().next().processor();
    for (Attention attention : attentions.values()) {
      AttentionProcessor processor = attention.processor();
      plain &=
          processor == DefaultAttentionProcessor.INSTANCE
              || (processor instanceof SlicedAttentionProcessor sliced
                  && sliced.slicesNothing(scores));
      shared = shared == processor ? shared : null; // the processor of every layer, if one
      if (shared == null && !plain) {
        return null;
      }
    }
    if (plain) {
      return ScriptedAttention.PLAIN;
    }
    return shared instanceof ScriptableAttentionProcessor scriptable
        ? scriptable.scripted(attentionContext, batch, scores)
        : null;
  }

  private NDArray scripted(
      NDArray sample,
      NDArray timeShifts,
      NDArray encoderHiddenStates,
      long batch,
      ScriptedAttention attention) {
    NDArray x = config.centerInputSample() ? sample.mul(two).sub(one) : sample;
    Shape e = encoderHiddenStates.getShape();
    NDArray context = encoderHiddenStates.reshape(e.get(0) * e.get(1), e.get(2));
    List<NDArray> arguments = new ArrayList<>(List.of(x, timeShifts, context));
    arguments.addAll(attention.arguments(sample.getManager()));
    return script(attention).call(arguments.toArray(NDArray[]::new));
  }

  private synchronized TorchScriptFunction script(ScriptedAttention attention) {
    TorchScriptFunction script = scripts.get(attention.key());
    if (script == null) {
      ScriptWriter s = new ScriptWriter(attention);
      String shifts =
          s.let("torch.split(time_shifts, " + Arrays.toString(timeShiftWidths) + ", 1)");
      Iterator<String> timeShifts =
          IntStream.range(0, timeShiftWidths.length)
              .mapToObj(i -> shifts + "[" + i + "]")
              .iterator();
      String x = convIn.script(s, "sample");
      List<String> skips = new ArrayList<>();
      skips.add(x);
      for (DownBlock block : downBlocks) {
        x = block.script(s, x, timeShifts, "context", skips);
      }
      x = midBlock.script(s, x, timeShifts, "context");
      for (UpBlock block : upBlocks) {
        x = block.script(s, x, timeShifts, "context", skips);
      }
      x = convOut.script(s, Activations.silu(s, convNormOut.script(s, x)));
      List<String> inputs = new ArrayList<>(List.of("sample", "time_shifts", "context"));
      inputs.addAll(attention.inputs());
      script = TorchScriptFunction.compile(manager, s, inputs, x);
      scripts.put(attention.key(), script);
    }
    return script;
  }

  /**
   * {@link #timeShifts} of one timestep for the whole batch, from {@link #timeShiftCache} when this
   * (timestep, batch) pair was projected recently; a new array of {@code sample}'s manager.
   */
  private NDArray cachedTimeShifts(NDArray sample, long timestep, long batch) {
    TimeShiftKey key = new TimeShiftKey(timestep, batch);
    float[] values;
    synchronized (timeShiftCache) {
      values = timeShiftCache.get(key);
    }
    NDManager m = sample.getManager();
    Shape shape = new Shape(batch, timeShiftWidth, 1, 1);
    if (values == null) {
      NDArray t = m.full(new Shape(), timestep, DataType.INT64);
      NDArray shifts = timeShifts(sample, t, batch);
      float[] computed = shifts.toFloatArray();
      synchronized (timeShiftCache) {
        timeShiftCache.put(key, computed);
      }
      return shifts;
    }
    // create may alias a buffer that Java frees: the call gets its own copy
    NDArray view = m.create(values, shape);
    NDArray shifts = view.duplicate();
    view.close();
    return shifts;
  }

  /**
   * Every resnet's projection of silu(time_embedding(time_proj(t))), side by side in call order:
   * (batch, sum of the resnets' widths, 1, 1).
   */
  private NDArray timeShifts(NDArray sample, NDArray timesteps, long batch) {
    NDArray t = timesteps.toType(DataType.FLOAT32, true);
    t.attach(sample.getManager());
    t = t.reshape(-1).broadcast(batch);
    NDArray projected =
        timeProjections.forward(Activations.silu(timeEmbedding.forward(timeProj.forward(t))));
    return projected.reshape(batch, projected.getShape().get(1), 1, 1);
  }

  private NDArray compute(
      NDArray sample,
      NDArray allTimeShifts,
      NDArray encoderHiddenStates,
      AttentionContext attentionContext,
      long batch) {
    // 1. time: each resnet's share of the projected time embedding
    Iterator<NDArray> timeShifts = allTimeShifts.split(timeShiftStarts, 1).iterator();

    // the context as (batch * seq, width) rows, the layout attention projects in one product
    Shape e = encoderHiddenStates.getShape();
    NDArray context = encoderHiddenStates.reshape(e.get(0) * e.get(1), e.get(2));

    // 2. pre-process
    NDArray x = config.centerInputSample() ? sample.mul(two).sub(one) : sample;
    x = convIn.forward(x);

    // 3. down: every layer's output is kept as a skip connection
    List<NDArray> skips = new ArrayList<>();
    skips.add(x);
    for (DownBlock block : downBlocks) {
      x = block.forward(x, timeShifts, context, attentionContext, skips);
    }

    // 4. mid
    x = midBlock.forward(x, timeShifts, context, attentionContext);

    // 5. up: skips are consumed last-in first-out
    for (UpBlock block : upBlocks) {
      x = block.forward(x, timeShifts, context, attentionContext, skips);
    }

    // 6. post-process
    return convOut.forward(Activations.silu(convNormOut.forward(x)));
  }

  /** A resnet, its time_emb_proj added to {@code projections}. */
  private static ResnetBlock2D resnet(
      WeightSource w,
      String prefix,
      long in,
      long out,
      long temb,
      int groups,
      float eps,
      double outputScaleFactor,
      List<Linear> projections) {
    projections.add(Linear.load(w, prefix + ".time_emb_proj", temb, out, true));
    return ResnetBlock2D.load(w, prefix, in, out, groups, eps, outputScaleFactor);
  }

  private long checkInputs(NDArray sample, NDArray encoderHiddenStates) {
    Shape s = sample.getShape();
    if (s.dimension() != 4 || s.get(1) != config.inChannels()) {
      throw new IllegalArgumentException(
          "UNet sample must be (batch, " + config.inChannels() + ", H, W), got " + s);
    }
    long batch = s.get(0);
    Shape e = encoderHiddenStates.getShape();
    long crossDim = config.crossAttentionDim().get(0);
    if (e.dimension() != 3 || e.get(0) != batch || e.get(2) != crossDim) {
      throw new IllegalArgumentException(
          "encoder hidden states must be (" + batch + ", seq, " + crossDim + "), got " + e);
    }
    return batch;
  }

  private static void checkTimesteps(NDArray timesteps, long batch) {
    long steps = timesteps.getShape().size();
    if (timesteps.getShape().dimension() > 1 || (steps != 1 && steps != batch)) {
      throw new IllegalArgumentException(
          "timesteps must be one value or one per batch element ("
              + batch
              + "), got shape "
              + timesteps.getShape());
    }
  }

  /** Frees the weights. */
  @Override
  public void close() {
    synchronized (this) {
      scripts.values().forEach(TorchScriptFunction::close);
      scripts.clear();
    }
    manager.close();
  }
}
