package dev.vct.engine.cli;

import dev.vct.engine.model.TinyModelWriter;
import dev.vct.engine.model.TinyModelWriter.WeightDtype;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code ./vct init-tiny DIR [--seed N] [--dtype fp32|fp16|bf16]}. */
final class InitTinyCommand implements Command {

  @Override
  public String name() {
    return "init-tiny";
  }

  @Override
  public String summary() {
    return "write a tiny random-weight SD-1.x model (diffusers layout)";
  }

  @Override
  public String usage() {
    return """
        usage: ./vct init-tiny DIR [--seed N] [--dtype fp32|fp16|bf16]

        Writes a complete Stable Diffusion 1.x pipeline folder with the SD topology at toy
        widths and random weights: unet/ (block channels 16,16,32,32), vae/ (4 levels, factor
        8), text_encoder/ (CLIP, hidden 32), tokenizer/ (a byte-level BPE vocabulary of 1000
        tokens learned from a built-in word list), scheduler/ (DDIM) and model_index.json.
        The same seed and dtype always give the same bytes.

          --seed N      seed of the random weights (default 0)
          --dtype T     how weights are stored: fp32 (default), fp16 (as the diffusers 'fp16'
                        variant files *.fp16.safetensors) or bf16
        """;
  }

  @Override
  public int run(List<String> argv, PrintStream out) {
    Args args = Args.parse(argv, Set.of("seed", "dtype"), Set.of());
    if (args.help()) {
      out.print(usage());
      return 0;
    }
    Path dir = Path.of(args.positionals(1, "one directory (DIR)").get(0));
    WeightDtype dtype =
        WeightDtype.parse(args.choice("dtype", "fp32", List.of("fp32", "fp16", "bf16")));
    long seed = args.longValue("seed", 0);
    new TinyModelWriter(seed, dtype).write(dir);
    out.println(
        "wrote tiny SD-1.x model (seed " + seed + ", " + args.get("dtype", "fp32") + ") to " + dir);
    return 0;
  }
}
