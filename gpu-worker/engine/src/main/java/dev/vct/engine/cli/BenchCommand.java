package dev.vct.engine.cli;

import dev.vct.engine.bench.ComponentBench;
import dev.vct.engine.model.EngineThreads;
import dev.vct.engine.model.Sd1Architecture;
import dev.vct.engine.scoring.ScoringBenchmark;
import dev.vct.engine.vct.VctModels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ./vct bench unet|text-encoder|vae [--size tiny|sd15] [--iters N] [--batch N] [--latent N]
 * ...}, and {@code ./vct bench score ...} (LPIPS + BRISQUE, options of {@link ScoringBenchmark}).
 */
final class BenchCommand implements Command {

  private static final List<String> TARGETS = List.of("unet", "text-encoder", "vae");

  @Override
  public String name() {
    return "bench";
  }

  @Override
  public String summary() {
    return "time the networks (unet, text-encoder, vae) with random weights, or scoring";
  }

  @Override
  public String usage() {
    return """
        usage: ./vct bench unet|text-encoder|vae [--size tiny|sd15] [--iters N] [--batch N]
                                                 [--latent N] [--no-backward]
                                                 [--max-attention-scores N]

        Builds the network at the tiny (init-tiny) or the real SD-1.5 size with random weights
        and prints the median and minimum time of N iterations (after one warm-up) and the
        peak resident memory (VmHWM) of each phase:
          unet          forward; forward+backward (gradient to the text hidden states)
          text-encoder  forward; forward+backward (gradient to the token embeddings)
          vae           encode; decode; decode+backward (gradient to the latents)
        Threads follow the engine's rule (README, Engine threads); VCT_ENGINE_THREADS=N overrides.

          --size S     tiny or sd15 (default tiny)
          --iters N    timed iterations per phase (default 5)
          --batch N    batch size (default 2)
          --latent N   latent side, 8 x smaller than the image (default 64 for sd15, 8 for tiny)
          --no-backward  time the forward phases only (backward at SD-1.5 size, batch 2,
                       needs well over 10 GB)
          --max-attention-scores N
                       the UNet's attention is sliced over the queries so that no call holds
                       more than N scores (batch x heads x queries x keys) at once, as the VCT
                       stages run it (default 33554432 = 2^25, the stages' own limit)

        """
        + ScoringBenchmark.USAGE
        + "\n"
        + VctBenchmark.USAGE;
  }

  @Override
  public int run(List<String> argv, PrintStream out) throws Exception {
    if (!argv.isEmpty() && argv.get(0).equals("vct")) {
      return VctBenchmark.run(argv.subList(1, argv.size()), out);
    }
    if (!argv.isEmpty() && argv.get(0).equals("score")) {
      return ScoringBenchmark.run(argv.subList(1, argv.size()), out, System.getenv());
    }
    Args args =
        Args.parse(
            argv,
            Set.of("size", "iters", "batch", "latent", "max-attention-scores"),
            Set.of("no-backward"));
    if (args.help()) {
      out.print(usage());
      return 0;
    }
    String target = args.positionals(1, "one of " + String.join(", ", TARGETS)).get(0);
    if (!TARGETS.contains(target)) {
      throw new UsageException(
          "unknown benchmark '" + target + "' (use one of " + String.join(", ", TARGETS) + ")");
    }
    String size = args.choice("size", "tiny", List.of("tiny", "sd15"));
    Sd1Architecture arch = size.equals("sd15") ? Sd1Architecture.SD15 : Sd1Architecture.TINY;
    int latent = args.integer("latent", size.equals("sd15") ? 64 : 8);
    int batch = args.integer("batch", 2);
    int iters = args.integer("iters", 5);
    long maxScores = args.longValue("max-attention-scores", VctModels.DEFAULT_MAX_ATTENTION_SCORES);
    if (maxScores < 1) {
      throw new UsageException(
          "--max-attention-scores needs a positive number of scores, got " + maxScores);
    }
    String input =
        target.equals("text-encoder")
            ? "prompts of " + Sd1Architecture.MAX_POSITIONS + " tokens"
            : "latents " + latent + "x" + latent;
    out.printf(
        Locale.ROOT,
        "bench %s --size %s: batch %d, %s, %d iterations, attention sliced at %d scores;"
            + " %d cores (%s), java %s%n",
        target,
        size,
        batch,
        input,
        iters,
        maxScores,
        Runtime.getRuntime().availableProcessors(),
        cpuModel(),
        System.getProperty("java.version"));
    ComponentBench bench =
        new ComponentBench(arch, batch, latent, iters, !args.has("no-backward"), maxScores, out);
    EngineThreads.configure(bench.unetWorkload());
    printThreads(out);
    switch (target) {
      case "unet" -> bench.unet();
      case "text-encoder" -> bench.textEncoder();
      case "vae" -> bench.vae();
      default -> throw new IllegalStateException(target);
    }
    return 0;
  }

  /** The process's libtorch intra-op threads and why (see {@link EngineThreads}). */
  static void printThreads(PrintStream out) {
    EngineThreads.current()
        .ifPresent(
            c -> out.printf(Locale.ROOT, "torch threads: %d (%s)%n", c.threads(), c.reason()));
  }

  static String cpuModel() throws IOException {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (!Files.isReadable(cpuinfo)) {
      return "unknown CPU";
    }
    return Files.readAllLines(cpuinfo).stream()
        .filter(l -> l.startsWith("model name"))
        .map(l -> l.substring(l.indexOf(':') + 1).trim())
        .findFirst()
        .orElse("unknown CPU");
  }
}
