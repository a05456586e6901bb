package dev.vct.engine.scoring;

import ai.djl.ndarray.NDManager;
import dev.vct.engine.cli.Args;
import dev.vct.engine.cli.UsageException;
import dev.vct.engine.scoring.ScoringModels.Setting;
import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.RgbImage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_quality;

/**
 * Times scoring of one picture pair: model loading once, then LPIPS, BRISQUE and the whole {@link
 * Scorer#score} over several runs after a warm-up. Without {@code --source/--result} it scores a
 * seeded synthetic pair of {@code --size} x {@code --size} pixels. {@code ./vct bench score} runs
 * it (see docs/bench-scoring.md); model files come from the same flags and variables as {@code
 * ./vct score}.
 */
public final class ScoringBenchmark {

  /** Usage of {@code ./vct bench score}. */
  public static final String USAGE =
      """
      usage: ./vct bench score [--source A.png --result B.png | --size 512] [--runs 5]
                               [--lpips-weights F] [--brisque-model F] [--brisque-range F]

        Times loading the models once, then LPIPS, BRISQUE and Scorer.score (median, min and
        max of --runs runs after one warm-up) on the given pair, or on a seeded synthetic pair
        of --size x --size pixels. Model files as for ./vct score (flags or VCT_* variables).
      """;

  private ScoringBenchmark() {}

  /** Runs with the arguments after {@code ./vct bench score}; returns the exit status. */
  public static int run(List<String> argv, PrintStream out, Map<String, String> environment)
      throws Exception {
    Set<String> valued = new HashSet<>(Set.of("source", "result", "size", "runs"));
    for (Setting setting : Setting.values()) {
      valued.add(setting.flag().substring(2));
    }
    Args args = Args.parse(argv, valued, Set.of());
    if (args.help()) {
      out.print(USAGE);
      return 0;
    }
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    for (Setting setting : Setting.values()) {
      if (args.has(setting.flag().substring(2))) {
        flags.put(setting, args.require(setting.flag().substring(2)));
      }
    }
    int runs = args.integer("runs", 5);
    if (runs < 1) {
      throw new UsageException("--runs must be at least 1");
    }
    ScoringModels models = ScoringModels.resolve(flags, environment);

    RgbImage source;
    RgbImage result;
    if (args.has("source") || args.has("result")) {
      source = ImageFiles.read(args.path("source"));
      result = ImageFiles.read(args.path("result"));
      out.printf(
          Locale.ROOT,
          "pictures      %s, %s (%s)%n",
          args.path("source"),
          args.path("result"),
          result.size());
      Path file = args.path("result");
      double decode = median(time(runs, () -> decode(file)));
      out.printf(
          Locale.ROOT, "decode        %8.1f ms  (result file, median of %d)%n", decode, runs);
    } else {
      int size = args.integer("size", 512);
      source = synthetic(size, 1);
      result = synthetic(size, 2);
      out.printf(Locale.ROOT, "pictures      synthetic %s pair%n", result.size());
    }

    long start = System.nanoTime();
    try (NDManager engineStart = NDManager.newBaseManager()) {
      Loader.load(opencv_quality.class);
    }
    out.printf(
        Locale.ROOT,
        "natives       %8.1f ms  (PyTorch and OpenCV libraries loaded)%n",
        (System.nanoTime() - start) / 1e6);
    start = System.nanoTime();
    Lpips lpips = Lpips.load(models.lpipsWeights());
    double lpipsLoad = (System.nanoTime() - start) / 1e6;
    start = System.nanoTime();
    Brisque brisque = Brisque.load(models.brisqueModel(), models.brisqueRange());
    double brisqueLoad = (System.nanoTime() - start) / 1e6;
    try (lpips;
        brisque) {
      out.printf(Locale.ROOT, "load lpips    %8.1f ms%n", lpipsLoad);
      out.printf(Locale.ROOT, "load brisque  %8.1f ms%n", brisqueLoad);
      RgbImage a = source;
      RgbImage b = result;
      report(out, "lpips", runs, () -> lpips.distance(a, b));
      report(out, "brisque", runs, () -> brisque.score(b));
    }
    try (Scorer scorer = Scorer.open(models)) {
      RgbImage a = source;
      RgbImage b = result;
      report(out, "score (both)", runs, () -> scorer.score(a, b));
    }
    return 0;
  }

  private static RgbImage decode(Path file) {
    try {
      return ImageFiles.read(file);
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static void report(PrintStream out, String what, int runs, Supplier<?> call) {
    call.get(); // warm-up: first-call allocations and native initialisation
    double[] ms = time(runs, call);
    out.printf(
        Locale.ROOT,
        "%-13s %8.1f ms  (median of %d, min %.1f, max %.1f)%n",
        what,
        median(ms),
        runs,
        Arrays.stream(ms).min().orElseThrow(),
        Arrays.stream(ms).max().orElseThrow());
  }

  private static double[] time(int runs, Supplier<?> call) {
    double[] ms = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      call.get();
      ms[i] = (System.nanoTime() - start) / 1e6;
    }
    return ms;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** Smooth colour waves plus seeded noise: a stand-in photo with texture at every scale. */
  private static RgbImage synthetic(int size, long seed) {
    Random random = new Random(seed);
    byte[] rgb = new byte[3 * size * size];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int o = 3 * (y * size + x);
        for (int c = 0; c < 3; c++) {
          double wave = Math.sin((x + 17 * c) / (11.0 + c)) * Math.cos((y - 5 * c) / (19.0 - c));
          int v = (int) (128 + 90 * wave) + random.nextInt(21) - 10;
          rgb[o + c] = (byte) Math.max(0, Math.min(255, v));
        }
      }
    }
    return new RgbImage(size, size, rgb);
  }
}
