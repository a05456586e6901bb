package dev.vct.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node KRaft Kafka broker (combined broker and controller) in its own JVM, so tests
 * can {@link #kill()} it with SIGKILL and {@link #start()} it again on the same port with the same
 * log directory. Replication factors are 1, topics are created on first use with {@value
 * #DEFAULT_PARTITIONS} partitions, and consumer groups start without the initial rebalance delay.
 */
public final class KafkaBroker extends JavaChildServer {

  public static final int DEFAULT_PARTITIONS = 4;

  /** Settings for a one-node cluster, shared with {@link EmbeddedKafka}. */
  static final Map<String, String> SINGLE_NODE_SETTINGS =
      Map.ofEntries(
          Map.entry("num.partitions", Integer.toString(DEFAULT_PARTITIONS)),
          Map.entry("auto.create.topics.enable", "true"),
          Map.entry("default.replication.factor", "1"),
          Map.entry("min.insync.replicas", "1"),
          Map.entry("offsets.topic.replication.factor", "1"),
          Map.entry("offsets.topic.num.partitions", Integer.toString(DEFAULT_PARTITIONS)),
          Map.entry("transaction.state.log.replication.factor", "1"),
          Map.entry("transaction.state.log.min.isr", "1"),
          Map.entry("share.coordinator.state.topic.replication.factor", "1"),
          Map.entry("share.coordinator.state.topic.min.isr", "1"),
          Map.entry("group.initial.rebalance.delay.ms", "0"));

  /** How the broker's JVM is set up: for a quick start or for a long run. */
  public enum Tuning {
    /**
     * For tests: C1 only, which on a busy two-core machine nearly halves the broker's start (6-7 s
     * instead of 11-13 s measured at load 17), and a small heap; a test needs little throughput.
     */
    QUICK_START(List.of("-Xms128m", "-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")),
    /**
     * For a stack that runs for long (./vct up, the job benchmark): the JVM's full tiered JIT,
     * which once warm costs about a quarter less CPU per record than C1 alone (Kafka 13.4 against
     * 17.8 ms of CPU per job in ./vct bench jobs at 20 jobs/s), and the parallel collector with a
     * 256 MB young generation: a young pause of 15-20 ms about every 20 s at 20 jobs/s instead of
     * one of 11-23 ms every 5 s with the serial collector's default sizing, each of which delays
     * every record in flight (overhead p99 77 -> 55 ms in that benchmark, docs/bench-jobs.md).
     */
    LONG_RUNNING(List.of("-Xms512m", "-Xmx1g", "-Xmn256m", "-XX:+UseParallelGC"));

    private final List<String> options;

    Tuning(List<String> options) {
      this.options = options;
    }
  }

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);

  private final Path dataDir;
  private final int port;
  private final int controllerPort;

  /** A broker on a free port keeping its logs under {@code dataDir}. Not started yet. */
  public KafkaBroker(Path dataDir) {
    this(dataDir, 0);
  }

  /**
   * A broker listening on {@code port} (0: a free one, kept across restarts) keeping its logs under
   * {@code dataDir}. Not started yet.
   */
  public KafkaBroker(Path dataDir, int port) {
    this(dataDir, port, Tuning.QUICK_START);
  }

  /**
   * A broker listening on {@code port} (0: a free one, kept across restarts) keeping its logs under
   * {@code dataDir}, its JVM set up as {@code tuning} says. Not started yet.
   */
  public KafkaBroker(Path dataDir, int port, Tuning tuning) {
    super(broker(dataDir.toAbsolutePath(), tuning), STOP_GRACE);
    this.dataDir = dataDir.toAbsolutePath();
    this.port = FreePorts.orFree(port);
    this.controllerPort = FreePorts.pick();
  }

  private static JavaChildProcess broker(Path dataDir, Tuning tuning) {
    List<String> jvmOptions = new ArrayList<>(tuning.options);
    jvmOptions.add("-Djava.awt.headless=true");
    return new JavaChildProcess(
        "kafka",
        RuntimeArtifacts.kafkaBrokerClasspath(),
        jvmOptions,
        "dev.vct.local.child.KafkaServerMain",
        List.of(configFile(dataDir).toString(), clusterId(dataDir)),
        dataDir.resolve("kafka.log"));
  }

  @Override
  public String name() {
    return "kafka";
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  @Override
  protected String address() {
    return bootstrapServers();
  }

  @Override
  public Map<String, String> environment() {
    return Map.of("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers());
  }

  /** The cluster id of this data directory: made once, then read back on every start. */
  private static String clusterId(Path dataDir) {
    Path file = dataDir.resolve("kafka-cluster.id");
    try {
      if (Files.isRegularFile(file)) {
        return Files.readString(file).trim();
      }
      Files.createDirectories(dataDir);
      String id = Uuid.randomUuid().toString();
      Files.writeString(file, id + "\n");
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the Kafka cluster id in " + file, e);
    }
  }

  private static Path configFile(Path dataDir) {
    return dataDir.resolve("kafka.properties");
  }

  @Override
  protected void prepareStart() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("process.roles", "broker,controller");
    config.put("node.id", "1");
    config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    config.put(
        "listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    config.put("controller.listener.names", "CONTROLLER");
    config.put("inter.broker.listener.name", "PLAINTEXT");
    config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    config.put("log.dirs", dataDir.resolve("kafka-logs").toString());
    config.putAll(SINGLE_NODE_SETTINGS);
    StringBuilder text =
        new StringBuilder("# Written by dev.vct.local.KafkaBroker on each start.\n");
    config.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
    try {
      Files.createDirectories(dataDir);
      Files.writeString(configFile(dataDir), text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Kafka config " + configFile(dataDir), e);
    }
  }

  /** Ready when the broker serves metadata. */
  @Override
  protected void awaitReady() {
    JavaChildProcess process = process();
    Properties adminConfig = new Properties();
    adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
    adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000);
    adminConfig.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
    adminConfig.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 200);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    try (Admin admin = Admin.create(adminConfig)) {
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException(
              "the Kafka broker exited while starting; last lines of "
                  + process.logFile()
                  + ":\n"
                  + process.logTail(30));
        }
        try {
          if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException notYet) {
          pause();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
        }
        if (System.nanoTime() > deadline) {
          process.kill();
          throw new IllegalStateException(
              "the Kafka broker did not answer on "
                  + bootstrapServers()
                  + " within "
                  + START_TIMEOUT.toSeconds()
                  + " s; last lines of "
                  + process.logFile()
                  + ":\n"
                  + process.logTail(30));
        }
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
    }
  }
}
