package dev.vct.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/** How the system module's commands (`./vct bench jobs`, `./vct chaos`) read their options. */
final class CommandOptions {
  private CommandOptions() {}

  /**
   * The parsed options, or empty when {@code --help} was asked for (the usage is then printed). Bad
   * options print what is wrong and the usage, and end the process with status 2.
   */
  static <T> Optional<T> parseOrExit(
      String command, String usage, String[] args, Function<String[], T> parse, Predicate<T> help) {
    T options;
    try {
      options = parse.apply(args);
    } catch (IllegalArgumentException e) {
      System.err.println(command + ": " + e.getMessage());
      System.err.print(usage);
      System.exit(2);
      return Optional.empty();
    }
    if (help.test(options)) {
      System.out.print(usage);
      return Optional.empty();
    }
    return Optional.of(options);
  }

  /** {@code given}, or a new temporary folder named with {@code prefix}. */
  static Path dataDir(Path given, String prefix) throws IOException {
    return given != null ? given : Files.createTempDirectory(prefix);
  }
}
