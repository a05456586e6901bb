package dev.vct.engine.cli;

import dev.vct.engine.bench.ProcessMemory;
import dev.vct.engine.image.ImageFiles;
import dev.vct.engine.image.RgbImage;
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
import java.io.PrintStream;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code ./vct bench vct --model DIR [knobs]}: times each VCT stage once on one image pair. */
final class VctBenchmark {

  static final String USAGE =
      """
      usage: ./vct bench vct --model DIR [--source A.png --reference B.png] [knobs]

        Runs concept inversion, content inversion and fusion once and prints the time of each
        (and of model loading and decoding), the steps run, the time per step and each stage's
        peak resident set (VmHWM, reset before the stage where the kernel allows). Without
        images, two synthetic 8-bit pictures are used.
      """
          + VctOptions.HELP;

  private VctBenchmark() {}

  static int run(List<String> argv, PrintStream out) throws Exception {
    Set<String> valued = new HashSet<>(VctOptions.VALUED);
    valued.addAll(Set.of("model", "source", "reference"));
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
    long t0 = System.nanoTime();
    try (VctModels models = VctModels.load(args.path("model"))) {
      line(out, "load models", t0, 0);
      BenchCommand.printThreads(out);
      float[] sourcePixels = VctImages.source(source, r);
      float[] referencePixels = VctImages.reference(reference, r);
      ConceptEmbedding concept =
          time(
              out,
              ConceptInversion.start(models, conceptParams, referencePixels)
                  .batchSize(conceptBatch));
      ContentEmbedding content =
          time(out, ContentInversion.start(models, contentParams, sourcePixels));
      FusionResult fused = time(out, Fusion.start(models, fusionParams, content, concept));
      long t = System.nanoTime();
      VctImages.translation(models, fused);
      line(out, "decode", t, 0);
    }
    line(out, "total", t0, 0);
    return 0;
  }

  /** Runs {@code stage} whole; prints its time and its peak resident set (where measurable). */
  private static <R> R time(PrintStream out, ResumableStage<R> stage) {
    boolean peak = ProcessMemory.resetPeak();
    long t = System.nanoTime();
    stage.run(ProgressListener.NONE, Cancellation.NEVER);
    line(out, stage.name(), t, stage.totalSteps());
    if (peak) {
      out.printf(
          Locale.ROOT,
          "  %-18s %9.0f MiB peak RSS%n",
          "",
          ProcessMemory.peakBytes() / (1024.0 * 1024.0));
    }
    return stage.result();
  }

  private static void line(PrintStream out, String what, long since, int steps) {
    double s = (System.nanoTime() - since) / 1e9;
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
