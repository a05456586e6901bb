package dev.vct.system;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The flags of the system module's commands (`./vct bench jobs`, `bench blobs`, `chaos`): {@code
 * --name value} pairs and bare switches, each read into a map by its name; {@code -h} and {@code
 * --help} are the switch {@value #HELP}.
 */
final class CommandLineFlags {
  static final String HELP = "--help";

  private CommandLineFlags() {}

  /**
   * The flags of {@code args} by name: a flag of {@code valued} maps to the argument after it, one
   * of {@code switches} (and help) to {@code "true"}; anything else is refused.
   */
  static Map<String, String> parse(String[] args, Set<String> valued, Set<String> switches) {
    Map<String, String> values = new HashMap<>();
    List<String> rest = new ArrayList<>(List.of(args));
    while (!rest.isEmpty()) {
      String flag = rest.remove(0);
      if (flag.equals("-h") || flag.equals(HELP)) {
        values.put(HELP, "true");
      } else if (switches.contains(flag)) {
        values.put(flag, "true");
      } else if (valued.contains(flag)) {
        if (rest.isEmpty()) {
          throw new IllegalArgumentException(flag + " needs a value");
        }
        values.put(flag, rest.remove(0));
      } else {
        throw new IllegalArgumentException("unknown option '" + flag + "'");
      }
    }
    return values;
  }

  /** A whole number of at least {@code min}; {@code fallback} when the flag is absent. */
  static long whole(Map<String, String> values, String flag, long fallback, long min) {
    String text = values.get(flag);
    if (text == null) {
      return fallback;
    }
    long value;
    try {
      value = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " must be a whole number, not '" + text + "'");
    }
    if (value < min) {
      throw new IllegalArgumentException(flag + " must be at least " + min + ", not " + value);
    }
    return value;
  }

  /** The flag's path, or null when it is absent. */
  static Path path(Map<String, String> values, String flag) {
    String text = values.get(flag);
    return text == null ? null : Path.of(text);
  }
}
