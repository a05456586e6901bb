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

/**
 * One of the VCT services (orchestrator, worker, gateway) run from its packaged Quarkus application
 * ({@code target/quarkus-app/quarkus-run.jar}) in a child JVM that dies with this one. Configured
 * through environment variables, as in production; {@link #start()} returns once {@code
 * /q/health/ready} answers 200, so Kafka, PostgreSQL and the blob store are reachable from it.
 * {@link #stop()} sends SIGTERM first, so a worker drains (checkpoints and gives its stage back).
 */
public final class QuarkusService extends JavaChildServer {

  private static final String ENTRY_POINT = "io.quarkus.bootstrap.runner.QuarkusEntryPoint";
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  /** How long {@link #stop()} waits after SIGTERM unless a service is given its own grace. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(30);

  private final String name;
  private final int httpPort;
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
    this(name, FreePorts.orFree(httpPort), appDir, jvmOptions, environment, logFile, stopGrace);
  }

  /** As the public constructors, with the port already chosen. */
  private QuarkusService(
      String name,
      int httpPort,
      Path appDir,
      List<String> jvmOptions,
      Map<String, String> environment,
      Path logFile,
      Duration stopGrace) {
    super(
        new JavaChildProcess(
            name,
            List.of(runner(name, appDir)),
            jvmOptions,
            ENTRY_POINT,
            List.of(),
            withPort(environment, httpPort),
            logFile),
        stopGrace);
    this.name = name;
    this.httpPort = httpPort;
  }

  private static Path runner(String name, Path appDir) {
    Path runner = appDir.resolve("quarkus-run.jar");
    if (!Files.isRegularFile(runner)) {
      throw new IllegalStateException(
          "cannot start "
              + name
              + ": "
              + runner
              + " does not exist; package its module first (mvn -pl <module> -am package)");
    }
    return runner;
  }

  private static Map<String, String> withPort(Map<String, String> environment, int httpPort) {
    Map<String, String> env = new HashMap<>(environment);
    env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
    return env;
  }

  @Override
  public String name() {
    return name;
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String url() {
    return "http://127.0.0.1:" + httpPort;
  }

  @Override
  protected String address() {
    return url();
  }

  @Override
  public Map<String, String> environment() {
    return Map.of();
  }

  /** Ready when {@code /q/health/ready} answers 200. */
  @Override
  protected void awaitReady() {
    JavaChildProcess process = process();
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
