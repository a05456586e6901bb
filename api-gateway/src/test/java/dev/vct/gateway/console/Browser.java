package dev.vct.gateway.console;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds Debian's Chromium and installs playwright-core (npm) to drive it, or skips the test with a
 * message saying what is missing and how to get it.
 */
final class Browser {
  static final String PLAYWRIGHT = "playwright-core@1.65.1";
  private static final List<String> CHROMIUMS =
      List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");

  private Browser() {}

  static Path chromium() {
    Optional<Path> found =
        Stream.concat(
                Optional.ofNullable(System.getenv("VCT_CHROMIUM")).stream(), CHROMIUMS.stream())
            .map(Path::of)
            .filter(Files::isExecutable)
            .findFirst();
    Assumptions.assumeTrue(
        found.isPresent(),
        "No Chromium found (looked at $VCT_CHROMIUM and "
            + CHROMIUMS
            + "); install it with 'apt-get install chromium' (./vct test tries that) to run the"
            + " console test");
    return found.get();
  }

  /** The e2e script, copied beside a node_modules that holds playwright-core. */
  static Path script(Path dir) throws IOException, InterruptedException {
    Assumptions.assumeTrue(
        run(dir, 30, "node", "--version") == 0,
        "Node.js is not installed; install it (apt-get install nodejs npm) to run the console test");
    Files.createDirectories(dir);
    if (!Files.exists(dir.resolve("node_modules/playwright-core/package.json"))) {
      int status =
          run(
              dir,
              300,
              "npm",
              "install",
              "--no-audit",
              "--no-fund",
              "--no-save",
              "--loglevel=error",
              "--prefix",
              dir.toString(),
              PLAYWRIGHT);
      Assumptions.assumeTrue(
          status == 0,
          "Could not install "
              + PLAYWRIGHT
              + " with npm (no registry access?); the console test needs it");
    }
    Path script = dir.resolve("console-e2e.mjs");
    try (InputStream in = Browser.class.getResourceAsStream("/console-e2e/console-e2e.mjs")) {
      Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
    }
    return script;
  }

  private static int run(Path dir, int timeoutSeconds, String... command)
      throws IOException, InterruptedException {
    Process process;
    try {
      Files.createDirectories(dir);
      process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve(command[0] + ".log").toFile())
              .start();
    } catch (IOException e) {
      return -1; // the program is not installed
    }
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return -1;
    }
    return process.exitValue();
  }

  static String log(Path dir, String program) throws IOException {
    Path log = dir.resolve(program + ".log");
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }
}
