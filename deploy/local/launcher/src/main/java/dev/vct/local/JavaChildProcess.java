package dev.vct.local;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A child JVM that runs {@code mainClass} behind {@code dev.vct.local.child.ChildMain}, so it exits
 * by itself when this JVM dies, even by SIGKILL. Its standard output and error are appended to a
 * log file. Startable again after it stopped or died (same command, same log).
 */
public final class JavaChildProcess {

  private static final String CHILD_MAIN = "dev.vct.local.child.ChildMain";

  private final String name;
  private final List<Path> classpath;
  private final List<String> jvmOptions;
  private final String mainClass;
  private final List<String> args;
  private final Path logFile;
  private final Map<String, String> environment;
  private Process process;

  /**
   * @param name short name used in messages
   * @param classpath the child's classpath, without the watchdog (added here)
   * @param jvmOptions options before the main class, e.g. {@code -Xmx256m}
   * @param logFile where the child's output goes (appended)
   */
  public JavaChildProcess(
      String name,
      List<Path> classpath,
      List<String> jvmOptions,
      String mainClass,
      List<String> args,
      Path logFile) {
    this(name, classpath, jvmOptions, mainClass, args, Map.of(), logFile);
  }

  /**
   * @param environment variables set in the child on top of this JVM's environment
   */
  public JavaChildProcess(
      String name,
      List<Path> classpath,
      List<String> jvmOptions,
      String mainClass,
      List<String> args,
      Map<String, String> environment,
      Path logFile) {
    this.name = name;
    this.classpath = List.copyOf(classpath);
    this.jvmOptions = List.copyOf(jvmOptions);
    this.mainClass = mainClass;
    this.args = List.copyOf(args);
    this.logFile = logFile;
    this.environment = Map.copyOf(environment);
  }

  /** Starts the child; fails when it is already running. Returns as soon as it is spawned. */
  public synchronized void start() {
    if (isAlive()) {
      throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
    }
    List<Path> fullClasspath = new ArrayList<>();
    fullClasspath.add(RuntimeArtifacts.childMainArtifact());
    fullClasspath.addAll(classpath);
    List<String> command = new ArrayList<>();
    command.add(RuntimeArtifacts.javaExecutable().toString());
    command.addAll(jvmOptions);
    command.add("-Dvct.parent.pid=" + ProcessHandle.current().pid());
    command.add("-cp");
    command.add(
        fullClasspath.stream()
            .distinct()
            .map(Path::toString)
            .collect(Collectors.joining(File.pathSeparator)));
    command.add(CHILD_MAIN);
    command.add(mainClass);
    command.addAll(args);
    try {
      Files.createDirectories(logFile.toAbsolutePath().getParent());
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      builder.environment().putAll(environment);
      process = builder.start();
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", command), e);
    }
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The pid of the current (or last) run. */
  public synchronized long pid() {
    requireStarted();
    return process.pid();
  }

  /** Completes when the current run ends, however it ends. */
  public synchronized CompletableFuture<Process> onExit() {
    requireStarted();
    return process.onExit();
  }

  /** SIGKILL: the child gets no chance to clean up. Waits until it is gone. */
  public void kill() {
    Process current = current();
    if (current != null) {
      current.destroyForcibly();
      awaitExit(current, Duration.ofSeconds(10));
    }
  }

  /** SIGTERM (its shutdown hooks run), then SIGKILL once {@code grace} has passed. */
  public void stop(Duration grace) {
    Process current = current();
    if (current == null || !current.isAlive()) {
      return;
    }
    current.destroy();
    if (!awaitExit(current, grace)) {
      current.destroyForcibly();
      awaitExit(current, Duration.ofSeconds(10));
    }
  }

  public Path logFile() {
    return logFile;
  }

  /** The last {@code lines} lines of the log, for error messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e.getMessage() + ")";
    }
  }

  private synchronized Process current() {
    return process;
  }

  private void requireStarted() {
    if (process == null) {
      throw new IllegalStateException(name + " was never started");
    }
  }

  private static boolean awaitExit(Process process, Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }
}
