package dev.vct.engine.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Entry point of the engine's subcommands of {@code ./vct} (init-tiny, parity, bench, ...). Exit
 * status: 0 success, 1 the command failed, 2 wrong arguments.
 */
public final class VctCli {

  /** Every engine subcommand, one line each (owners add theirs). */
  static final List<Command> COMMANDS =
      List.of(
          new InitTinyCommand(),
          new ParityCommand(),
          new BenchCommand(),
          new ScoreCommand(),
          new TranslateCommand());

  private VctCli() {}

  public static void main(String[] argv) {
    System.exit(run(Arrays.asList(argv), System.out, System.err));
  }

  /** Runs one command line; returns the exit status. */
  public static int run(List<String> argv, PrintStream out, PrintStream err) {
    if (argv.isEmpty() || List.of("help", "--help", "-h").contains(argv.get(0))) {
      (argv.isEmpty() ? err : out).print(overview());
      return argv.isEmpty() ? 2 : 0;
    }
    Optional<Command> command =
        COMMANDS.stream().filter(c -> c.name().equals(argv.get(0))).findFirst();
    if (command.isEmpty()) {
      err.println("vct: unknown engine command '" + argv.get(0) + "'");
      err.print(overview());
      return 2;
    }
    try {
      return command.get().run(argv.subList(1, argv.size()), out);
    } catch (UsageException e) {
      err.println("vct " + command.get().name() + ": " + e.getMessage());
      err.print(command.get().usage());
      return 2;
    } catch (Exception e) {
      err.println("vct " + command.get().name() + ": " + describe(e));
      return 1;
    }
  }

  private static String describe(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return e.getCause() != null
            && e.getCause().getMessage() != null
            && !message.contains(e.getCause().getMessage())
        ? message + " (" + e.getCause().getMessage() + ")"
        : message;
  }

  private static String overview() {
    StringBuilder s = new StringBuilder("usage: ./vct <command> [options]\n\nengine commands:\n");
    for (Command c : COMMANDS) {
      s.append(String.format("  %-10s %s%n", c.name(), c.summary()));
    }
    s.append("\nEach command prints its options with --help.\n");
    return s.toString();
  }
}
