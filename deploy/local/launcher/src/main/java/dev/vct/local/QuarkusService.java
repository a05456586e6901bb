package dev.vct.local;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One of the VCT services (orchestrator, worker, gateway) run from its packaged Quarkus application
 * ({@code target/quarkus-app/quarkus-run.jar}) in a child JVM that dies with this one. Configured
 * through environment variables, as in production; {@link #start()} returns once {@code
 * /q/health/ready} answers 200, so Kafka, PostgreSQL and the blob store are reachable from it.
 */
public final class QuarkusService implements ManagedServer {

  private static final String ENTRY_POINT = "io.quarkus.bootstrap.runner.QuarkusEntryPoint";
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  /** How long {@link #stop()} waits after SIGTERM unless a service is given its own grace. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(30);

  private final String name;
  private final int httpPort;
  private final Duration stopGrace;
  private final JavaChildProcess process;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * @param name short name in messages, e.g. {@code orchestrator} or {@code worker-fusion-1}
   * @param appDir the application's {@code target/quarkus-app} folder
   * @param httpPort its HTTP port (0: a free one, kept across restarts)
   * @param jvmOptions heap and JIT options of the child JVM
   * @param environment its configuration (QUARKUS_..., KAFKA_BOOTSTRAP_SERVERS, VCT_...)
   * @param logFile where its output goes (appended)
   */
  public QuarkusService(
      String name,
      Path appDir,
      int httpPort,
      List<String> jvmOptions,
      Map<String, String> environment,
      Path logFile) {
    this(name, appDir, httpPort, jvmOptions, environment, logFile, STOP_GRACE);
  }

  /**
   * As above, with how long {@link #stop()} lets the service shut down after SIGTERM before it
   * kills it: a worker needs its drain timeout (finish the step, checkpoint, report) and a margin.
   */
  public QuarkusService(
      String name,
      Path appDir,
      int httpPort,
      List<String> jvmOptions,
      Map<String, String> environment,
      Path logFile,
      Duration stopGrace) {
    Path runner = appDir.resolve("quarkus-run.jar");
    if (!Files.isRegularFile(runner)) {
      throw new IllegalStateException(
          "cannot start "
              + name
              + ": "
              + runner
              + " does not exist; package its module first (mvn -pl <module> -am package)");
    }
    this.name = name;
    this.stopGrace = stopGrace;
    this.httpPort = FreePorts.orFree(httpPort);
    Map<String, String> env = new HashMap<>(environment);
    env.put("QUARKUS_HTTP_PORT", Integer.toString(this.httpPort));
    this.process =
        new JavaChildProcess(
            name, List.of(runner), jvmOptions, ENTRY_POINT, List.of(), env, logFile);
  }

  @Override
  public String name() {
    return name;
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String url() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** Starts (or restarts) the service and waits until it is ready. */
  @Override
  public synchronized void start() {
    process.start();
    awaitReady();
  }

  /** SIGKILL: no drain, no shutdown hooks, as when a node is lost. Waits until it is gone. */
  public synchronized void kill() {
    process.kill();
  }

  /** SIGTERM (a worker drains: checkpoints and gives its stage back), SIGKILL after a grace. */
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

  @Override
  public String describe() {
    return String.format(
        "%-9s %s  (pid %d, log %s)", name, url(), process.pid(), process.logFile());
  }

  @Override
  public Map<String, String> environment() {
    return Map.of();
  }

  private void awaitReady() {
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create(url() + "/q/health/ready"))
            .timeout(Duration.ofSeconds(5))
            .build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "no answer yet";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name + " exited while starting; the end of " + logFile() + ":\n" + process.logTail(40));
      }
      try {
        HttpResponse<String> response = http.send(ready, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
        last = "HTTP " + response.statusCode() + " " + response.body();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while " + name + " was starting", e);
      }
      sleep(250);
    }
    process.kill();
    throw new IllegalStateException(
        name
            + " was not ready within "
            + START_TIMEOUT.toSeconds()
            + " s (last health answer: "
            + last
            + "); the end of "
            + logFile()
            + ":\n"
            + process.logTail(40));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
