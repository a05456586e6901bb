package dev.vct.local.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Servers shared by every test in this JVM: started by the first test resource that needs one,
 * stopped when the JVM exits. Quarkus may load the test resources in more than one class loader
 * (one per test profile), so the registry lives in system properties and the lock is an interned
 * string, both of which every class loader sees.
 */
final class JvmShared {

  private static final String LOCK = "dev.vct.local.test.JvmShared";
  private static final String PREFIX = "dev.vct.local.shared.";

  private JvmShared() {}

  /**
   * The properties of the shared server {@code name}, calling {@code starter} to start it when no
   * one in this JVM has yet.
   */
  static Map<String, String> properties(String name, Supplier<Map<String, String>> starter) {
    String prefix = PREFIX + name + ".";
    synchronized (LOCK) {
      Map<String, String> found = new HashMap<>();
      for (String key : System.getProperties().stringPropertyNames()) {
        if (key.startsWith(prefix)) {
          found.put(key.substring(prefix.length()), System.getProperty(key));
        }
      }
      if (!found.isEmpty()) {
        return found;
      }
      Map<String, String> started = starter.get();
      started.forEach((key, value) -> System.setProperty(prefix + key, value));
      return started;
    }
  }

  /** A new temporary directory for a server's data. */
  static Path tempDir(String name) {
    try {
      return Files.createTempDirectory("vct-test-" + name + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for " + name, e);
    }
  }

  /** Closes {@code server} and then deletes {@code dataDir} when the JVM exits normally. */
  static void closeAtExit(String name, AutoCloseable server, Path dataDir) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.close();
                  } catch (Exception e) {
                    System.err.println("vct: stopping the shared " + name + " failed: " + e);
                  }
                  deleteRecursively(dataDir);
                },
                "vct-stop-" + name));
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      System.err.println("vct: cannot delete " + dir + ": " + e);
    }
  }
}
