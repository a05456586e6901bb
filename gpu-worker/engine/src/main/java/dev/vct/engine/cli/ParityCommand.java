package dev.vct.engine.cli;

import dev.vct.engine.parity.ParityRunner;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code ./vct parity --fixtures DIR}: every oracle fixture under DIR through the engine. */
final class ParityCommand implements Command {

  @Override
  public String name() {
    return "parity";
  }

  @Override
  public String summary() {
    return "run every oracle fixture under a directory through the engine";
  }

  @Override
  public String usage() {
    return """
        usage: ./vct parity --fixtures DIR

        Runs every directory under DIR that holds a manifest.json through the engine's check
        for its component and prints one line per fixture:
          PASS <name> max_abs=<x> max_rel=<y>
          FAIL <name> max_abs=<x> max_rel=<y> <failing outputs>
          SKIP <name> <reason>
        then 'parity: N passed, N failed'. Exit status 1 when any fixture failed.

          --fixtures DIR   root of the oracle fixtures (e.g. ../shared/fixtures/oracle)
        """;
  }

  @Override
  public int run(List<String> argv, PrintStream out) {
    Args args = Args.parse(argv, Set.of("fixtures"), Set.of());
    if (args.help()) {
      out.print(usage());
      return 0;
    }
    args.positionals(0, "no positional arguments");
    return ParityRunner.run(args.path("fixtures"), out) ? 0 : 1;
  }
}
