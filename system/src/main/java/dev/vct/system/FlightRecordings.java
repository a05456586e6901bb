package dev.vct.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Java Flight Recorder recordings of running JVMs, started and stopped with {@code jcmd} (the JDK
 * the benchmark runs on), for {@code ./vct bench jobs --jfr DIR}: one file per process, covering
 * exactly the measured run.
 */
final class FlightRecordings {
  private static final String NAME = "vct-bench";

  private final Map<Path, Long> files;

  private FlightRecordings(Map<Path, Long> files) {
    this.files = files;
  }

  /**
   * Starts a recording in each process of {@code pids} (by name); none when {@code dir} is null.
   */
  static FlightRecordings start(Path dir, Map<String, Long> pids) {
    if (dir == null) {
      return new FlightRecordings(Map.of());
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the --jfr folder " + dir, e);
    }
    Map<Path, Long> files = new LinkedHashMap<>();
    pids.forEach(
        (name, pid) -> {
          Path file = dir.toAbsolutePath().resolve(name + ".jfr");
          jcmd(pid, "JFR.start", "name=" + NAME, "settings=profile", "filename=" + file);
          files.put(file, pid);
        });
    return new FlightRecordings(files);
  }

  /** Stops the recordings; each is written to its file. */
  List<Path> stop() {
    List<Path> written = new ArrayList<>();
    files.forEach(
        (file, pid) -> {
          jcmd(pid, "JFR.stop", "name=" + NAME);
          written.add(file);
        });
    return written;
  }

  private static void jcmd(long pid, String... command) {
    List<String> line = new ArrayList<>();
    line.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    line.add(Long.toString(pid));
    line.addAll(List.of(command));
    try {
      Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes());
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", line) + " failed: " + output.strip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(String.join(" ", line) + " could not run", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + String.join(" ", line), e);
    }
  }
}
