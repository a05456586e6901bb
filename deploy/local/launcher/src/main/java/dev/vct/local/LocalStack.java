package dev.vct.local;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code ./vct up}: starts PostgreSQL, Kafka and an S3 server on this machine, prints where they
 * listen and the environment that points the VCT services at them, then {@code ready:
 * infrastructure}, and runs until Ctrl-C (or SIGTERM), which stops everything. A server that dies
 * is restarted on the same port with the same data.
 */
public final class LocalStack {

  static final String USAGE =
      """
      usage: LocalStack [--data-dir DIR] [--postgres-port N] [--kafka-port N] [--s3-port N]

        --data-dir DIR      where the servers keep their data (default .vct/data; env VCT_DATA_DIR)
        --postgres-port N   PostgreSQL port (default: a free one; env VCT_POSTGRES_PORT)
        --kafka-port N      Kafka port (default: a free one; env VCT_KAFKA_PORT)
        --s3-port N         S3 port (default: a free one; env VCT_S3_PORT)
      """;

  /** The bucket the services use; the storage code creates it when missing. */
  static final String BUCKET = "vct";

  /** Held so the levels set in {@link #quietLibraryLogging()} stay set. */
  private static final List<Logger> QUIETED = new ArrayList<>();

  private LocalStack() {}

  public static void main(String[] args) throws InterruptedException {
    quietLibraryLogging();
    Options options;
    try {
      options = Options.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("vct up: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.print(USAGE);
      return;
    }
    PrintStream out = System.out;
    Supervisor supervisor = new Supervisor(out);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  out.println("vct: stopping the infrastructure");
                  supervisor.close();
                  stopped.countDown();
                },
                "vct-local-stop"));
    Path dataDir = options.dataDir().toAbsolutePath().normalize();
    out.println("vct: starting PostgreSQL, Kafka and S3 (data in " + dataDir + ")");
    long begin = System.nanoTime();
    PostgresServer postgres = new PostgresServer(dataDir, options.postgresPort());
    KafkaBroker kafka = new KafkaBroker(dataDir, options.kafkaPort());
    S3Server s3 = new S3Server(dataDir, options.s3Port());
    try {
      supervisor.startAll(List.of(postgres, kafka, s3));
    } catch (RuntimeException e) {
      System.err.println("vct up: " + e.getMessage());
      System.exit(1);
    }
    out.printf("vct: infrastructure started in %.1f s%n", (System.nanoTime() - begin) / 1e9);
    for (ManagedServer server : supervisor.servers()) {
      out.println(server.describe());
    }
    out.println();
    out.println("# environment for the VCT services");
    Map<String, String> env = new LinkedHashMap<>();
    env.putAll(postgres.environment());
    env.putAll(kafka.environment());
    env.putAll(s3.environment(BUCKET));
    env.forEach((key, value) -> out.println(key + "=" + value));
    out.println();
    out.println("ready: infrastructure");
    out.flush();
    stopped.await();
  }

  /**
   * The Kafka admin client (readiness checks) and zonky log every start at INFO; people want the
   * addresses, so only their warnings are shown. The servers' own logs are in the data directory.
   */
  private static void quietLibraryLogging() {
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
    }
    for (String name : List.of("org.apache.kafka", "io.zonky")) {
      Logger logger = Logger.getLogger(name);
      logger.setLevel(Level.WARNING);
      QUIETED.add(logger);
    }
  }

  /** Command line options; flags win over environment variables. */
  record Options(Path dataDir, int postgresPort, int kafkaPort, int s3Port, boolean help) {

    static Options parse(String[] args, Map<String, String> env) {
      Map<String, String> values = new LinkedHashMap<>();
      values.put("--data-dir", env.getOrDefault("VCT_DATA_DIR", ".vct/data"));
      values.put("--postgres-port", env.getOrDefault("VCT_POSTGRES_PORT", "0"));
      values.put("--kafka-port", env.getOrDefault("VCT_KAFKA_PORT", "0"));
      values.put("--s3-port", env.getOrDefault("VCT_S3_PORT", "0"));
      boolean help = false;
      List<String> rest = new ArrayList<>(List.of(args));
      while (!rest.isEmpty()) {
        String flag = rest.remove(0);
        if (flag.equals("-h") || flag.equals("--help")) {
          help = true;
          continue;
        }
        String value = null;
        int eq = flag.indexOf('=');
        if (eq > 0) {
          value = flag.substring(eq + 1);
          flag = flag.substring(0, eq);
        }
        if (!values.containsKey(flag)) {
          throw new IllegalArgumentException("unknown option '" + flag + "'");
        }
        if (value == null) {
          if (rest.isEmpty()) {
            throw new IllegalArgumentException(flag + " needs a value");
          }
          value = rest.remove(0);
        }
        values.put(flag, value);
      }
      return new Options(
          Path.of(values.get("--data-dir")),
          port(values, "--postgres-port"),
          port(values, "--kafka-port"),
          port(values, "--s3-port"),
          help);
    }

    private static int port(Map<String, String> values, String flag) {
      String text = values.get(flag);
      try {
        int port = Integer.parseInt(text.trim());
        if (port >= 0 && port <= 65535) {
          return port;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          flag + " must be a port number from 0 (any free port) to 65535, not '" + text + "'");
    }
  }
}
