package dev.vct.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vct.engine.bench.ProcessCpu;
import dev.vct.engine.bench.ProcessMemory;
import dev.vct.engine.model.EngineThreads;
import dev.vct.engine.vct.Cancellation;
import dev.vct.engine.vct.ConceptEmbedding;
import dev.vct.engine.vct.ConceptInversion;
import dev.vct.engine.vct.ConceptInversionParams;
import dev.vct.engine.vct.ContentEmbedding;
import dev.vct.engine.vct.ContentInversion;
import dev.vct.engine.vct.ContentInversionParams;
import dev.vct.engine.vct.Fusion;
import dev.vct.engine.vct.FusionParams;
import dev.vct.engine.vct.FusionResult;
import dev.vct.engine.vct.ProgressListener;
import dev.vct.engine.vct.ResumableStage;
import dev.vct.engine.vct.VctImages;
import dev.vct.engine.vct.VctModels;
import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.RgbImage;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** {@code ./vct bench vct --model DIR [knobs]}: times each VCT stage once on one image pair. */
final class VctBenchmark {

  static final String USAGE =
      """
      usage: ./vct bench vct --model DIR [--source A.png --reference B.png] [--warmup N]
                             [--json FILE] [knobs]

        Runs concept inversion, content inversion and fusion once and prints the time of each
        (and of model loading and decoding), the steps run, the time per step and its peak
        resident set (VmHWM, reset before the stage where the kernel allows). A stage's
        time includes its set-up (content inversion's VAE encode, fusion's prompts). Without
        images, two synthetic 8-bit pictures are used.

          --warmup N          first load the model and run the three stages N times on a short
                              schedule (10 DDIM steps, 3 inner steps, 3 concept steps), untimed
                              (JIT, libtorch and file-cache warm-up), then load it again and
                              time as without it (default 0)
          --json FILE         also write the times, the schedule, the torch threads and content
                              inversion's inner iterations to FILE; per stage also its CPU
                              time (cpu_seconds: the process; thread_cpu_seconds: the thread
                              that ran it) and minor page faults (minor_faults)
      """
          + VctOptions.HELP;

  private VctBenchmark() {}

  static int run(List<String> argv, PrintStream out) throws Exception {
    Set<String> valued = new HashSet<>(VctOptions.VALUED);
    valued.addAll(Set.of("model", "source", "reference", "warmup", "json"));
    Args args = Args.parse(argv, valued, VctOptions.SWITCHES);
    if (args.help()) {
      out.print(USAGE);
      return 0;
    }
    args.positionals(0, "no positional arguments after 'vct'");
    VctOptions options = new VctOptions(args);
    ConceptInversionParams conceptParams = VctOptions.valid(options::concept);
    int conceptBatch = options.conceptBatch(conceptParams);
    ContentInversionParams contentParams = VctOptions.valid(options::content);
    FusionParams fusionParams = VctOptions.valid(options::fusion);
    int r = options.resolution();
    int warmups = args.integer("warmup", 0);
    if (warmups < 0) {
      throw new UsageException("--warmup needs a count of 0 or more, got " + warmups);
    }
    RgbImage source = args.has("source") ? ImageFiles.read(args.path("source")) : picture(r, 1);
    RgbImage reference =
        args.has("reference") ? ImageFiles.read(args.path("reference")) : picture(r, 2);
    out.printf(
        Locale.ROOT,
        "bench vct: %d px, concept %d steps x %d micro-steps (%d per pass), content %d DDIM steps x <= %d"
            + " inner, fusion %d steps; %d cores (%s), java %s%n",
        r,
        conceptParams.steps(),
        conceptParams.gradientAccumulation(),
        Math.min(conceptBatch, conceptParams.gradientAccumulation()),
        contentParams.steps(),
        contentParams.innerSteps(),
        contentParams.steps(),
        Runtime.getRuntime().availableProcessors(),
        BenchCommand.cpuModel(),
        System.getProperty("java.version"));
    Map<String, Object> stages = new LinkedHashMap<>();
    int innerIterations;
    int threads;
    float[] sourcePixels = VctImages.source(source, r);
    float[] referencePixels = VctImages.reference(reference, r);
    long warmup = System.nanoTime();
    if (warmups > 0) {
      try (VctModels models = VctModels.load(args.path("model"))) {
        for (int i = 0; i < warmups; i++) {
          warmUp(
              models,
              conceptParams,
              conceptBatch,
              contentParams,
              fusionParams,
              sourcePixels,
              referencePixels);
        }
      }
      out.printf(
          Locale.ROOT,
          "  %-18s %9.2f s  (a model load and %d short run(s); not in the total)%n",
          "warm-up",
          (System.nanoTime() - warmup) / 1e9,
          warmups);
    }
    warmup = System.nanoTime() - warmup;
    Mark t0 = Mark.now();
    try (VctModels models = VctModels.load(args.path("model"))) {
      line(out, stages, "load models", t0, 0);
      BenchCommand.printThreads(out);
      threads = EngineThreads.inUse();
      ConceptEmbedding concept =
          time(
                  out,
                  stages,
                  () ->
                      ConceptInversion.start(models, conceptParams, referencePixels)
                          .batchSize(conceptBatch))
              .result();
      ContentInversion contentInversion =
          time(out, stages, () -> ContentInversion.start(models, contentParams, sourcePixels));
      innerIterations = Arrays.stream(contentInversion.innerIterations()).sum();
      ContentEmbedding content = contentInversion.result();
      FusionResult fused =
          time(out, stages, () -> Fusion.start(models, fusionParams, content, concept)).result();
      Mark t = Mark.now();
      VctImages.translation(models, fused);
      line(out, stages, "decode", t, 0);
    }
    line(out, stages, "total", t0, 0);
    if (args.has("json")) {
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("resolution", r);
      report.put("concept_steps", conceptParams.steps());
      report.put("concept_micro_steps", conceptParams.gradientAccumulation());
      report.put("concept_batch", Math.min(conceptBatch, conceptParams.gradientAccumulation()));
      report.put("ddim_steps", contentParams.steps());
      report.put("inner_steps", contentParams.innerSteps());
      report.put("inner_iterations", innerIterations);
      report.put("warmup_runs", warmups);
      report.put("warmup_seconds", warmup / 1e9);
      report.put("torch_threads", threads);
      report.put(
          "torch_threads_reason", EngineThreads.current().map(c -> c.reason()).orElse("unknown"));
      report.put("cores", Runtime.getRuntime().availableProcessors());
      report.put("stages", stages);
      Path file = args.path("json");
      Files.writeString(
          file,
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
    }
    return 0;
  }

  /** The three stages and the decode once on a short schedule, results discarded. */
  private static void warmUp(
      VctModels models,
      ConceptInversionParams conceptParams,
      int conceptBatch,
      ContentInversionParams contentParams,
      FusionParams fusionParams,
      float[] sourcePixels,
      float[] referencePixels) {
    ConceptInversion concept =
        ConceptInversion.start(models, conceptParams.withSteps(3), referencePixels)
            .batchSize(conceptBatch);
    concept.run(ProgressListener.NONE, Cancellation.NEVER);
    ContentInversion content =
        ContentInversion.start(models, contentParams.withSteps(10, 3), sourcePixels);
    content.run(ProgressListener.NONE, Cancellation.NEVER);
    Fusion fusion = Fusion.start(models, fusionParams, content.result(), concept.result());
    fusion.run(ProgressListener.NONE, Cancellation.NEVER);
    VctImages.translation(models, fusion.result());
  }

  /**
   * Starts a stage, runs it to the end and reports the time of both together, and the peak resident
   * set while it ran (where the kernel lets the peak be reset).
   */
  private static <S extends ResumableStage<?>> S time(
      PrintStream out, Map<String, Object> stages, Supplier<S> start) {
    boolean peak = ProcessMemory.resetPeak();
    Mark t = Mark.now();
    S stage = start.get();
    stage.run(ProgressListener.NONE, Cancellation.NEVER);
    line(out, stages, stage.name(), t, stage.totalSteps());
    if (peak) {
      out.printf(
          Locale.ROOT,
          "  %-18s %9.0f MiB peak RSS%n",
          "",
          ProcessMemory.peakBytes() / (1024.0 * 1024.0));
    }
    return stage;
  }

  private static void line(
      PrintStream out, Map<String, Object> stages, String what, Mark since, int steps) {
    double s = (System.nanoTime() - since.nanos()) / 1e9;
    Mark now = Mark.now();
    Map<String, Object> stage = new LinkedHashMap<>();
    stage.put("steps", steps);
    stage.put("seconds", s);
    // CPU time besides wall time: robust to other work on the machine (docs/bench-vct.md).
    stage.put("cpu_seconds", (now.processCpu() - since.processCpu()) / 1e9);
    stage.put("thread_cpu_seconds", (now.threadCpu() - since.threadCpu()) / 1e9);
    stage.put("minor_faults", now.minorFaults() - since.minorFaults());
    stages.put(what, stage);
    if (steps > 0) {
      out.printf(
          Locale.ROOT,
          "  %-18s %9.2f s  %4d steps  %8.1f ms/step%n",
          what,
          s,
          steps,
          1e3 * s / steps);
    } else {
      out.printf(Locale.ROOT, "  %-18s %9.2f s%n", what, s);
    }
  }

  /** Wall clock, CPU times and page faults at one instant, for a stage's differences. */
  private record Mark(long nanos, long processCpu, long threadCpu, long minorFaults) {
    static Mark now() {
      return new Mark(
          System.nanoTime(),
          ProcessCpu.processNanos(),
          ProcessCpu.threadNanos(),
          ProcessCpu.minorFaults());
    }
  }

  /** A deterministic r x r test picture (gradients and stripes). */
  private static RgbImage picture(int r, int seed) {
    byte[] rgb = new byte[3 * r * r];
    for (int y = 0; y < r; y++) {
      for (int x = 0; x < r; x++) {
        for (int c = 0; c < 3; c++) {
          rgb[3 * (y * r + x) + c] =
              (byte) ((x * (c + 1) * seed + y * (3 - c) + (x / 16) * 40) % 256);
        }
      }
    }
    return new RgbImage(r, r, rgb);
  }
}
