package dev.vct.engine.cli;

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
import dev.vct.engine.vct.ResumableStage;
import dev.vct.engine.vct.StageCheckpoint;
import dev.vct.engine.vct.VctImages;
import dev.vct.engine.vct.VctModels;
import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.RgbImage;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code ./vct translate --model DIR --source A --reference B --out OUT.png [knobs]}: the three VCT
 * stages on this machine, no servers. With {@code --checkpoint-dir} every step is checkpointed, and
 * a run started again with the same arguments continues from the last checkpoint (a finished
 * stage's final checkpoint is its cached output).
 */
final class TranslateCommand implements Command {

  @Override
  public String name() {
    return "translate";
  }

  @Override
  public String summary() {
    return "run one VCT translation locally (concept, content, fusion), no servers";
  }

  @Override
  public String usage() {
    return """
        usage: ./vct translate --model DIR --source A.png --reference B.png --out OUT.png
                               [--checkpoint-dir DIR] [knobs]

        Translates the source image into the visual concept of the reference image with the
        Visual Concept Translator: concept inversion of the reference, content inversion of the
        source, then fusion. Progress and each stage's time go to stderr; the result is a PNG.

          --model DIR           a Stable Diffusion 1.x folder in the diffusers layout
          --source FILE         the image whose content is kept (PNG or JPEG)
          --reference FILE      the image whose concept is transferred
          --out FILE            where the translated PNG is written
          --checkpoint-dir DIR  checkpoint every step there; the same command resumes
        """
        + VctOptions.HELP;
  }

  @Override
  public int run(List<String> argv, PrintStream out) throws Exception {
    Set<String> valued = new HashSet<>(VctOptions.VALUED);
    valued.addAll(Set.of("model", "source", "reference", "out", "checkpoint-dir"));
    Args args = Args.parse(argv, valued, VctOptions.SWITCHES);
    if (args.help()) {
      out.print(usage());
      return 0;
    }
    args.positionals(0, "no positional arguments");
    VctOptions options = new VctOptions(args);
    ConceptInversionParams conceptParams = VctOptions.valid(options::concept);
    int conceptBatch = options.conceptBatch(conceptParams);
    ContentInversionParams contentParams = VctOptions.valid(options::content);
    FusionParams fusionParams = VctOptions.valid(options::fusion);
    Path model = args.path("model");
    RgbImage source = ImageFiles.read(args.path("source"));
    RgbImage reference = ImageFiles.read(args.path("reference"));
    Path output = args.path("out");
    Path checkpoints = args.has("checkpoint-dir") ? args.path("checkpoint-dir") : null;
    if (checkpoints != null) {
      Files.createDirectories(checkpoints);
    }
    PrintStream err = System.err;
    int resolution = options.resolution();
    float[] sourcePixels = VctImages.source(source, resolution);
    float[] referencePixels = VctImages.reference(reference, resolution);

    long started = System.nanoTime();
    try (VctModels models = VctModels.load(model)) {
      err.printf(Locale.ROOT, "models loaded from %s in %.1f s%n", model, seconds(started));
      ConceptEmbedding concept =
          runStage(
              ConceptInversion.NAME,
              () ->
                  ConceptInversion.start(models, conceptParams, referencePixels)
                      .batchSize(conceptBatch),
              c ->
                  ConceptInversion.resume(models, conceptParams, referencePixels, c)
                      .batchSize(conceptBatch),
              checkpoints,
              err);
      ContentEmbedding content =
          runStage(
              ContentInversion.NAME,
              () -> ContentInversion.start(models, contentParams, sourcePixels),
              c -> ContentInversion.resume(models, contentParams, sourcePixels, c),
              checkpoints,
              err);
      FusionResult fused =
          runStage(
              Fusion.NAME,
              () -> Fusion.start(models, fusionParams, content, concept),
              c -> Fusion.resume(models, fusionParams, content, concept, c),
              checkpoints,
              err);
      long decoding = System.nanoTime();
      RgbImage image = VctImages.translation(models, fused);
      VctImages.writePng(image, output);
      err.printf(Locale.ROOT, "decode: %.2f s%n", seconds(decoding));
    }
    out.printf(Locale.ROOT, "wrote %s (%s) in %.1f s%n", output, sizeOf(output), seconds(started));
    return 0;
  }

  /**
   * Runs a stage to the end, resuming from {@code dir/<stage>.safetensors} when it exists and
   * checkpointing there after every step.
   */
  static <R> R runStage(
      String name,
      Supplier<? extends ResumableStage<R>> start,
      Function<StageCheckpoint, ? extends ResumableStage<R>> resume,
      Path dir,
      PrintStream err) {
    long began = System.nanoTime();
    ResumableStage<R> stage = null;
    Path file = null;
    if (dir != null) {
      file = dir.resolve(name + ".safetensors");
      if (Files.isRegularFile(file)) {
        stage = resume.apply(StageCheckpoint.read(file));
        err.printf(
            Locale.ROOT,
            "%s: resuming after step %d of %d%n",
            name,
            stage.completedSteps(),
            stage.totalSteps());
      }
    }
    if (stage == null) {
      stage = start.get();
    }
    int resumedAt = stage.completedSteps();
    ProgressBar bar = new ProgressBar(stage.name(), err);
    while (!stage.isDone()) {
      stage.runUntil(stage.completedSteps() + 1, bar, Cancellation.NEVER);
      if (file != null) {
        stage.saveCheckpoint(file);
      }
    }
    err.printf(
        Locale.ROOT,
        "%s: %d steps in %.2f s%n",
        stage.name(),
        stage.totalSteps() - resumedAt,
        seconds(began));
    return stage.result();
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static String sizeOf(Path file) throws java.io.IOException {
    return Files.size(file) + " bytes";
  }
}
