package dev.vct.engine.cli;

import java.io.PrintStream;
import java.util.List;

/** One subcommand of {@code ./vct} that runs in the engine. */
public interface Command {

  /** The subcommand word, e.g. {@code parity}. */
  String name();

  /** One line for the command list. */
  String summary();

  /** The full usage text printed by {@code --help} and after a usage error. */
  String usage();

  /** Runs with the arguments after the subcommand word; returns the exit status. */
  int run(List<String> args, PrintStream out) throws Exception;
}
