package dev.vct.engine.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Arguments of one subcommand: {@code --name value}, {@code --name=value}, switches without a
 * value, and positionals. Only the declared options are accepted.
 */
public final class Args {

  private final Map<String, String> values = new HashMap<>();
  private final List<String> positionals = new ArrayList<>();
  private final boolean help;

  private Args(boolean help) {
    this.help = help;
  }

  /**
   * Parses {@code args}. {@code valued} are options that take a value, {@code switches} those that
   * do not (both without the leading dashes).
   */
  public static Args parse(List<String> args, Set<String> valued, Set<String> switches) {
    boolean help = args.contains("--help") || args.contains("-h");
    Args parsed = new Args(help);
    if (help) {
      return parsed;
    }
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--")) {
        parsed.positionals.addAll(args.subList(i + 1, args.size()));
        break;
      }
      if (!arg.startsWith("-") || arg.equals("-")) {
        parsed.positionals.add(arg);
        continue;
      }
      if (!arg.startsWith("--")) {
        throw new UsageException("unknown option '" + arg + "'");
      }
      String name = arg.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (switches.contains(name)) {
        if (value != null) {
          throw new UsageException("option '--" + name + "' takes no value");
        }
        parsed.values.put(name, "true");
      } else if (valued.contains(name)) {
        if (value == null) {
          if (i + 1 >= args.size()) {
            throw new UsageException("option '--" + name + "' needs a value");
          }
          value = args.get(++i);
        }
        if (parsed.values.put(name, value) != null) {
          throw new UsageException("option '--" + name + "' given twice");
        }
      } else {
        throw new UsageException("unknown option '--" + name + "'");
      }
    }
    return parsed;
  }

  public boolean help() {
    return help;
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  public String get(String name, String defaultValue) {
    return values.getOrDefault(name, defaultValue);
  }

  /** A required option's value. */
  public String require(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new UsageException("option '--" + name + "' is required");
    }
    return v;
  }

  public Path path(String name) {
    return Path.of(require(name));
  }

  public int integer(String name, int defaultValue) {
    String v = values.get(name);
    if (v == null) {
      return defaultValue;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException("option '--" + name + "' needs an integer, got '" + v + "'");
    }
  }

  public long longValue(String name, long defaultValue) {
    String v = values.get(name);
    if (v == null) {
      return defaultValue;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new UsageException("option '--" + name + "' needs an integer, got '" + v + "'");
    }
  }

  /** A value that must be one of {@code allowed}. */
  public String choice(String name, String defaultValue, List<String> allowed) {
    String v = get(name, defaultValue);
    if (!allowed.contains(v)) {
      throw new UsageException(
          "option '--"
              + name
              + "' must be one of "
              + String.join(", ", allowed)
              + ", got '"
              + v
              + "'");
    }
    return v;
  }

  public List<String> positionals() {
    return List.copyOf(positionals);
  }

  /** Exactly {@code n} positionals, named in the error when the count is wrong. */
  public List<String> positionals(int n, String what) {
    if (positionals.size() != n) {
      throw new UsageException(
          "expected "
              + what
              + (positionals.isEmpty() ? "" : ", got " + String.join(" ", positionals)));
    }
    return positionals();
  }
}
