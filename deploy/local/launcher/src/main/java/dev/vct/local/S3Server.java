package dev.vct.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real S3-compatible server: s3proxy in its own JVM, storing objects as files under {@code
 * dataDir/s3}, checking AWS signatures (v2 or v4) against a fixed access key and secret.
 */
public final class S3Server extends JavaChildServer {

  public static final String ACCESS_KEY = "vct-local-access-key";
  public static final String SECRET_KEY = "vct-local-secret-key";
  public static final String REGION = "us-east-1";

  /** C1 only, as for the Kafka broker: a faster start matters more than peak throughput. */
  private static final List<String> CHILD_JVM_OPTIONS =
      List.of(
          "-Xms32m",
          "-Xmx256m",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-Djava.awt.headless=true");

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final Path dataDir;
  private final int port;

  /** A server on a free port keeping its objects under {@code dataDir}. Not started yet. */
  public S3Server(Path dataDir) {
    this(dataDir, 0);
  }

  /** A server on {@code port} (0: a free one, kept across restarts). Not started yet. */
  public S3Server(Path dataDir, int port) {
    super(s3proxy(dataDir.toAbsolutePath()), STOP_GRACE);
    this.dataDir = dataDir.toAbsolutePath();
    this.port = FreePorts.orFree(port);
  }

  private static JavaChildProcess s3proxy(Path dataDir) {
    return new JavaChildProcess(
        "s3",
        List.of(RuntimeArtifacts.s3proxyJar()),
        CHILD_JVM_OPTIONS,
        "org.gaul.s3proxy.Main",
        List.of("--properties", configFile(dataDir).toString()),
        dataDir.resolve("s3proxy.log"));
  }

  @Override
  public String name() {
    return "s3";
  }

  /** {@code http://127.0.0.1:<port>}: use path-style requests. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public String accessKey() {
    return ACCESS_KEY;
  }

  public String secretKey() {
    return SECRET_KEY;
  }

  public String region() {
    return REGION;
  }

  @Override
  protected String address() {
    return endpoint();
  }

  @Override
  protected String details() {
    return ", objects " + dataDir.resolve("s3");
  }

  /**
   * The blob store settings as environment variables; {@code bucket} is created by the storage code
   * when missing.
   */
  public Map<String, String> environment(String bucket) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("VCT_BLOB_STORE", "s3");
    env.put("VCT_BLOB_S3_ENDPOINT", endpoint());
    env.put("VCT_BLOB_S3_REGION", region());
    env.put("VCT_BLOB_S3_BUCKET", bucket);
    env.put("VCT_BLOB_S3_ACCESS_KEY_ID", accessKey());
    env.put("VCT_BLOB_S3_SECRET_ACCESS_KEY", secretKey());
    return env;
  }

  @Override
  public Map<String, String> environment() {
    return environment("vct");
  }

  private static Path configFile(Path dataDir) {
    return dataDir.resolve("s3proxy.properties");
  }

  @Override
  protected void prepareStart() {
    String text =
        "# Written by dev.vct.local.S3Server on each start.\n"
            + "s3proxy.endpoint="
            + endpoint()
            + "\n"
            + "s3proxy.authorization=aws-v2-or-v4\n"
            + "s3proxy.identity="
            + ACCESS_KEY
            + "\n"
            + "s3proxy.credential="
            + SECRET_KEY
            + "\n"
            + "jclouds.provider=filesystem\n"
            + "jclouds.filesystem.basedir="
            + dataDir.resolve("s3")
            + "\n";
    try {
      Files.createDirectories(dataDir.resolve("s3"));
      Files.writeString(configFile(dataDir), text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the s3proxy config " + configFile(dataDir), e);
    }
  }

  /** Any HTTP answer (an unsigned request gets 403) means it serves. */
  @Override
  protected void awaitReady() {
    JavaChildProcess process = process();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest probe =
        HttpRequest.newBuilder(URI.create(endpoint() + "/")).timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "s3proxy exited while starting; last lines of "
                + process.logFile()
                + ":\n"
                + process.logTail(30));
      }
      try {
        http.send(probe, HttpResponse.BodyHandlers.discarding());
        return;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          process.kill();
          throw new IllegalStateException(
              "s3proxy did not answer on "
                  + endpoint()
                  + " within "
                  + START_TIMEOUT.toSeconds()
                  + " s; last lines of "
                  + process.logFile()
                  + ":\n"
                  + process.logTail(30),
              notYet);
        }
        sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for s3proxy", e);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for s3proxy", e);
    }
  }
}
