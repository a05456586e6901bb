package dev.vct.engine.parity;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs every oracle fixture under a root through its {@link ParityCheck}: one line per fixture
 * (PASS, FAIL or SKIP), then {@code parity: N passed, N failed}.
 */
public final class ParityRunner {

  private ParityRunner() {}

  /** Directories under {@code root} (itself included) that hold a manifest.json, sorted. */
  public static List<Path> fixtureDirs(Path root) {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("fixtures directory not found: " + root);
    }
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(p -> Files.isRegularFile(p.resolve("manifest.json"))).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
  }

  /** Runs one fixture directory; errors of the check become a FAIL naming the error. */
  public static ParityResult check(Path dir, NDManager manager) {
    String name = dir.getFileName().toString();
    try (Fixture fixture = Fixture.open(dir, manager)) {
      var check = ParityChecks.forComponent(fixture.component());
      if (check.isEmpty()) {
        return ParityResult.skip(
            name, "no parity check for component '" + fixture.component() + "'");
      }
      return ParityResult.of(name, check.get().run(fixture));
    } catch (Exception | AssertionError e) {
      return ParityResult.error(name, e);
    }
  }

  /** Runs every fixture under {@code root}, printing to {@code out}; true when none failed. */
  public static boolean run(Path root, PrintStream out) {
    int passed = 0;
    int failed = 0;
    try (NDManager manager = NDManager.newBaseManager()) {
      for (Path dir : fixtureDirs(root)) {
        ParityResult result = check(dir, manager);
        out.println(result.line());
        out.flush();
        switch (result.status()) {
          case PASS -> passed++;
          case FAIL -> failed++;
          case SKIP -> {}
        }
      }
    }
    out.println("parity: " + passed + " passed, " + failed + " failed");
    return failed == 0;
  }
}
