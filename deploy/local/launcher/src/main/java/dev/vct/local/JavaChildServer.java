package dev.vct.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link ManagedServer} that runs in a {@link JavaChildProcess}: start, kill, stop and watch the
 * child; each server says how to prepare a start and how to tell that it answers.
 */
public abstract class JavaChildServer implements ManagedServer {

  private final JavaChildProcess process;
  private final Duration stopGrace;

  /**
   * @param stopGrace how long {@link #stop()} waits after SIGTERM before SIGKILL
   */
  protected JavaChildServer(JavaChildProcess process, Duration stopGrace) {
    this.process = process;
    this.stopGrace = stopGrace;
  }

  /** Where clients reach the server, for {@link #describe()}. */
  protected abstract String address();

  /** Writes what the child reads at start (config files); nothing by default. */
  protected void prepareStart() {}

  /** Returns once the started child answers; throws (after killing it) when it does not. */
  protected abstract void awaitReady();

  /** Starts (or restarts) the server and waits until it answers. */
  @Override
  public synchronized void start() {
    prepareStart();
    process.start();
    awaitReady();
  }

  /** SIGKILL: no clean shutdown, as when a machine loses the process. Waits until it is gone. */
  public synchronized void kill() {
    process.kill();
  }

  /** SIGTERM, then SIGKILL after the server's grace period. */
  @Override
  public synchronized void stop() {
    process.stop(stopGrace);
  }

  @Override
  public boolean isRunning() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  @Override
  public CompletableFuture<?> onExit() {
    return process.onExit();
  }

  public Path logFile() {
    return process.logFile();
  }

  /** Extra facts for {@link #describe()}, each starting with {@code ", "}; none by default. */
  protected String details() {
    return "";
  }

  @Override
  public String describe() {
    return String.format(
        "%-9s %s  (pid %d%s, log %s)", name(), address(), process.pid(), details(), logFile());
  }

  /** The child, for readiness checks: whether it lives, its log's last lines. */
  protected JavaChildProcess process() {
    return process;
  }
}
