package dev.vct.local;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./vct up}: starts PostgreSQL, Kafka and an S3 server on this machine, then the VCT
 * services from their packaged applications: the orchestrator, the API gateway and worker processes
 * for each stage pool (inversion, fusion, scoring). Prints the console URL, the API key, a curl
 * example and, once every service answers {@code /q/health/ready}, one line {@code ready: <gateway
 * URL>}. Runs until Ctrl-C (or SIGTERM), which stops everything. A process that dies is restarted
 * on the same port with the same data. With {@code --infrastructure-only} it stops after the
 * servers and prints {@code ready: infrastructure}.
 */
public final class LocalStack {

  static final String USAGE =
      """
      usage: ./vct up [--workers N] [--model DIR] [--port P] [more options]

        --workers N         worker processes per stage pool (default 1; env VCT_WORKERS)
        --model DIR         Stable Diffusion 1.x checkpoint in the diffusers layout (env
                            VCT_MODEL_PATH; default: a tiny random model in .vct/models/tiny)
        --port P            the gateway's HTTP port (default 8080, or a free one when 8080 is
                            taken; env VCT_PORT)
        --data-dir DIR      where the servers keep their data (default .vct/data; env VCT_DATA_DIR)
        --postgres-port N   PostgreSQL port (default: a free one; env VCT_POSTGRES_PORT)
        --kafka-port N      Kafka port (default: a free one; env VCT_KAFKA_PORT)
        --s3-port N         S3 port (default: a free one; env VCT_S3_PORT)
        --infrastructure-only  start only PostgreSQL, Kafka and S3

      Other settings: VCT_BOOTSTRAP_API_KEY (the admin API key; default: one generated once and
      kept in .vct/api-key), VCT_MODEL_ID (the name jobs use for the model), VCT_LPIPS_WEIGHTS,
      VCT_BRISQUE_MODEL, VCT_BRISQUE_RANGE (scoring model files, see README).
      Ctrl-C lets each worker drain (finish its step, checkpoint, give its stage back) for
      VCT_WORKER_DRAIN_TIMEOUT (default 60s) plus 20 s before it is killed.
      """;

  /** The bucket the services use; the storage code creates it when missing. */
  static final String BUCKET = "vct";

  /** The stage pools, as in deploy/k8s: name, the stages its workers serve. */
  static final Map<String, String> POOLS =
      Map.of(
          "inversion", "content-inversion,concept-inversion",
          "fusion", "fusion",
          "scoring", "scoring");

  static final List<String> POOL_ORDER = List.of("inversion", "fusion", "scoring");

  /** The workers' own default of {@code vct.worker.drain-timeout}. */
  static final String WORKER_DRAIN_TIMEOUT = "60s";

  /**
   * Beyond its drain timeout, what a stopping worker may still take: the drain waits 5 s more for
   * its consumer, then closes the consumer, the producer and the stage threads (5 s each at most).
   */
  static final Duration WORKER_STOP_MARGIN = Duration.ofSeconds(20);

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
                  out.println("vct: stopping everything");
                  supervisor.close();
                  out.println("vct: stopped");
                  stopped.countDown();
                },
                "vct-local-stop"));
    Path dataDir = options.dataDir().toAbsolutePath().normalize();
    Path root = repositoryRoot();
    Path home = root.resolve(".vct");
    Services services = null;
    if (!options.infrastructureOnly()) {
      try {
        services = Services.prepare(root, home, options, System.getenv(), out);
      } catch (RuntimeException e) {
        System.err.println("vct up: " + e.getMessage());
        System.exit(1);
      }
    }
    out.println("vct: starting PostgreSQL, Kafka and S3 (data in " + dataDir + ")");
    long begin = System.nanoTime();
    PostgresServer postgres = new PostgresServer(dataDir, options.postgresPort());
    KafkaBroker kafka =
        new KafkaBroker(dataDir, options.kafkaPort(), KafkaBroker.Tuning.LONG_RUNNING);
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
    Map<String, String> env = new LinkedHashMap<>();
    env.putAll(postgres.environment());
    env.putAll(kafka.environment());
    env.putAll(s3.environment(BUCKET));
    if (services == null) {
      out.println();
      out.println("# environment for the VCT services");
      env.forEach((key, value) -> out.println(key + "=" + value));
      out.println();
      out.println("ready: infrastructure");
      out.flush();
      stopped.await();
      return;
    }
    try {
      out.println("vct: starting the orchestrator (logs in " + dataDir.resolve("logs") + ")");
      supervisor.startAll(List.of(services.orchestrator(env, dataDir)));
      out.println(
          "vct: starting the gateway and "
              + options.workers() * POOLS.size()
              + " worker processes");
      supervisor.startAll(services.gatewayAndWorkers(env, dataDir));
    } catch (RuntimeException e) {
      System.err.println("vct up: " + e.getMessage());
      System.exit(1);
    }
    out.printf("vct: everything started in %.1f s%n", (System.nanoTime() - begin) / 1e9);
    for (ManagedServer server : supervisor.servers()) {
      if (server instanceof QuarkusService) {
        out.println(server.describe());
      }
    }
    out.println();
    services.printWelcome(out);
    out.println("ready: " + services.gatewayUrl());
    out.flush();
    stopped.await();
  }

  /**
   * The repository root: system property {@code vct.repository.root} (set by {@code ./vct}), else
   * the working directory.
   */
  static Path repositoryRoot() {
    String configured = System.getProperty("vct.repository.root");
    return Path.of(configured != null ? configured : "").toAbsolutePath().normalize();
  }

  /** The VCT services of one {@code ./vct up}, set up before the infrastructure starts. */
  static final class Services {
    private final Path root;
    private final Options options;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final String apiKey;
    private final int gatewayPort;
    private final Path examples;

    /** SIGTERM to SIGKILL for a worker: its drain timeout and {@link #WORKER_STOP_MARGIN}. */
    private Duration workerStopGrace;

    private Services(Path root, Options options, String apiKey, int gatewayPort, Path examples) {
      this.root = root;
      this.options = options;
      this.apiKey = apiKey;
      this.gatewayPort = gatewayPort;
      this.examples = examples;
    }

    /**
     * Checks the packaged applications, picks the model and the scoring files (making the stand-ins
     * for a machine without any, loudly), the API key and the gateway port.
     */
    static Services prepare(
        Path root, Path home, Options options, Map<String, String> env, PrintStream out) {
      for (String module : List.of("orchestrator", "api-gateway", "gpu-worker/service")) {
        Path runner = application(root, module).resolve("quarkus-run.jar");
        if (!Files.isRegularFile(runner)) {
          throw new IllegalStateException(
              runner
                  + " is missing; build it with: mvn -pl "
                  + module
                  + " -am package -DskipTests (./vct up does that for you)");
        }
      }
      String apiKey = apiKey(home, env);
      int port = options.port() != 0 ? options.port() : defaultGatewayPort();
      Path examples = home.resolve("examples");
      ExampleImages.ensure(examples);
      Services services = new Services(root, options, apiKey, port, examples);
      services.workerStopGrace =
          drainTimeout(env.getOrDefault("VCT_WORKER_DRAIN_TIMEOUT", WORKER_DRAIN_TIMEOUT))
              .plus(WORKER_STOP_MARGIN);
      Path model;
      String modelId;
      if (options.model() != null) {
        model = options.model().toAbsolutePath().normalize();
        if (!Files.isRegularFile(model.resolve("model_index.json"))) {
          throw new IllegalArgumentException(
              "--model "
                  + model
                  + " is not a Stable Diffusion checkpoint in the diffusers layout (no"
                  + " model_index.json; expected unet/, vae/, text_encoder/, tokenizer/,"
                  + " scheduler/)");
        }
        modelId = env.getOrDefault("VCT_MODEL_ID", "sd15");
      } else {
        model = home.resolve("models/tiny");
        if (!Files.isRegularFile(model.resolve("model_index.json"))) {
          throw new IllegalStateException(
              "no model: "
                  + model
                  + " is missing; run ./vct init-tiny "
                  + model
                  + " or pass --model DIR");
        }
        modelId = env.getOrDefault("VCT_MODEL_ID", "tiny-random");
        out.println(
            """

            !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
            !!  NO MODEL CONFIGURED: the workers run a TINY RANDOM-WEIGHT model (%s).
            !!  Jobs run end to end, but their RESULTS ARE MEANINGLESS noise.
            !!  For real translations point at a Stable Diffusion 1.5 checkpoint in the diffusers
            !!  layout (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/),
            !!  e.g. a download of stable-diffusion-v1-5/stable-diffusion-v1-5:
            !!      ./vct up --model /path/to/stable-diffusion-v1-5    (or VCT_MODEL_PATH=...)
            !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
            """
                .formatted(model));
      }
      services.settings.put("VCT_MODEL_PATH", model.toString());
      services.settings.put("VCT_MODEL_ID", modelId);
      services.settings.put("VCT_GATEWAY_MODEL_ID", modelId);
      Path scoring = home.resolve("models/scoring");
      if (env.containsKey("VCT_BRISQUE_MODEL") || env.containsKey("VCT_BRISQUE_RANGE")) {
        services.settings.put("VCT_BRISQUE_MODEL", env.getOrDefault("VCT_BRISQUE_MODEL", ""));
        services.settings.put("VCT_BRISQUE_RANGE", env.getOrDefault("VCT_BRISQUE_RANGE", ""));
      } else {
        ScoringModelFiles.ensureBrisque(
            application(root, "gpu-worker/service").resolve("lib/main"), scoring);
        services.settings.put(
            "VCT_BRISQUE_MODEL", scoring.resolve(ScoringModelFiles.BRISQUE_MODEL).toString());
        services.settings.put(
            "VCT_BRISQUE_RANGE", scoring.resolve(ScoringModelFiles.BRISQUE_RANGE).toString());
      }
      if (env.containsKey("VCT_LPIPS_WEIGHTS")) {
        services.settings.put("VCT_LPIPS_WEIGHTS", env.get("VCT_LPIPS_WEIGHTS"));
      } else {
        Path lpips = ScoringModelFiles.ensureRandomLpips(scoring);
        services.settings.put("VCT_LPIPS_WEIGHTS", lpips.toString());
        out.println(
            """
            !!  NO LPIPS WEIGHTS (VCT_LPIPS_WEIGHTS): scoring uses RANDOM LPIPS weights (%s),
            !!  so every job's "lpips" score is MEANINGLESS. README, section Scoring, says how to
            !!  make the real file (lpips_alex_v0.1.safetensors) and point VCT_LPIPS_WEIGHTS at it.
            """
                .formatted(lpips));
      }
      return services;
    }

    String gatewayUrl() {
      return "http://localhost:" + gatewayPort;
    }

    QuarkusService orchestrator(Map<String, String> infrastructure, Path dataDir) {
      return new QuarkusService(
          "orchestrator",
          application(root, "orchestrator"),
          0,
          List.of("-Xmx384m", "-XX:+UseSerialGC"),
          infrastructure,
          dataDir.resolve("logs/orchestrator.log"));
    }

    List<QuarkusService> gatewayAndWorkers(Map<String, String> infrastructure, Path dataDir) {
      List<QuarkusService> services = new ArrayList<>();
      Map<String, String> gatewayEnv = new LinkedHashMap<>(infrastructure);
      gatewayEnv.put("VCT_BOOTSTRAP_API_KEY", apiKey);
      gatewayEnv.put("VCT_GATEWAY_MODEL_ID", settings.get("VCT_GATEWAY_MODEL_ID"));
      services.add(
          new QuarkusService(
              "gateway",
              application(root, "api-gateway"),
              gatewayPort,
              List.of("-Xmx512m", "-XX:+UseSerialGC"),
              gatewayEnv,
              dataDir.resolve("logs/gateway.log")));
      for (String pool : POOL_ORDER) {
        for (int i = 1; i <= options.workers(); i++) {
          String name = "worker-" + pool + "-" + i;
          // The database too: a worker reads (only) its requests' job and stage-run rows.
          Map<String, String> workerEnv = new LinkedHashMap<>(infrastructure);
          settings.forEach(
              (key, value) -> {
                if (!key.startsWith("VCT_GATEWAY")) {
                  workerEnv.put(key, value);
                }
              });
          workerEnv.put("VCT_WORKER_ID", name);
          workerEnv.put("VCT_WORKER_STAGES", POOLS.get(pool));
          workerEnv.put("VCT_WORKER_GROUP_ID", "vct-workers-" + pool);
          services.add(
              new QuarkusService(
                  name,
                  application(root, "gpu-worker/service"),
                  0,
                  List.of("-Xmx1g", "-XX:+UseSerialGC", "-Dai.djl.offline=true"),
                  workerEnv,
                  dataDir.resolve("logs/" + name + ".log"),
                  workerStopGrace));
        }
      }
      return services;
    }

    /** The console URL, the API key and a curl session that works as printed. */
    void printWelcome(PrintStream out) {
      out.print(welcome(gatewayUrl(), apiKey, examples));
    }

    private static Path application(Path root, String module) {
      return root.resolve(module).resolve("target/quarkus-app");
    }
  }

  static String welcome(String url, String apiKey, Path examples) {
    return """
        Web console:  %1$s/   (API docs: %1$s/q/swagger-ui)
        API key:      %2$s   (admin; set VCT_BOOTSTRAP_API_KEY to choose it)

        # submit a job. The defaults are the paper's recipe (500 concept steps, 50 DDIM steps,
        # 512 px): many minutes even on the tiny model on a small CPU, hours on SD 1.5 without a GPU.
        curl -s -H 'Authorization: Bearer %2$s' -H "Idempotency-Key: $(date +%%s%%N)" \\
          -F source=@%3$s/source.png -F reference=@%3$s/reference.png \\
          %1$s/v1/translations
        # a quick run with small knobs (seconds on the tiny model):
        curl -s -H 'Authorization: Bearer %2$s' -H "Idempotency-Key: $(date +%%s%%N)" \\
          -F source=@%3$s/source.png -F reference=@%3$s/reference.png \\
          -F 'params={"concept_steps":4,"ddim_steps":4,"content_inner_steps":2,"resolution":64}' \\
          %1$s/v1/translations
        # then, with the id from the answer:
        curl -s -H 'Authorization: Bearer %2$s' %1$s/v1/translations/$ID          # status
        curl -s -H 'Authorization: Bearer %2$s' -o result.png %1$s/v1/translations/$ID/result

        """
        .formatted(url, apiKey, examples);
  }

  /** VCT_BOOTSTRAP_API_KEY, else the key kept in {@code home/api-key}, made once at random. */
  static String apiKey(Path home, Map<String, String> env) {
    String given = env.get("VCT_BOOTSTRAP_API_KEY");
    if (given != null && !given.isBlank()) {
      return given;
    }
    Path file = home.resolve("api-key");
    try {
      if (Files.isRegularFile(file)) {
        return Files.readString(file).trim();
      }
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      String key = "vct_" + HexFormat.of().formatHex(random);
      Files.createDirectories(home);
      Files.writeString(file, key + "\n");
      return key;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the API key file " + file, e);
    }
  }

  private static int defaultGatewayPort() {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(8080)) {
      return 8080;
    } catch (IOException e) {
      return FreePorts.pick();
    }
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

  /**
   * {@code VCT_WORKER_DRAIN_TIMEOUT} as the workers read it: seconds ({@code 60}), a number with a
   * unit ({@code 500ms}, {@code 60s}, {@code 2m}, {@code 1h}) or ISO-8601 ({@code PT1M}).
   */
  static Duration drainTimeout(String text) {
    String value = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(value);
    try {
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
          case "ms" -> Duration.ofMillis(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofSeconds(n);
        };
      }
      return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "VCT_WORKER_DRAIN_TIMEOUT must be a duration such as 60s, 500ms, 2m or PT1M, not '"
              + text
              + "'",
          e);
    }
  }

  /** Command line options; flags win over environment variables. */
  record Options(
      Path dataDir,
      int postgresPort,
      int kafkaPort,
      int s3Port,
      int workers,
      Path model,
      int port,
      boolean infrastructureOnly,
      boolean help) {

    static Options parse(String[] args, Map<String, String> env) {
      Map<String, String> values = new LinkedHashMap<>();
      values.put("--data-dir", env.getOrDefault("VCT_DATA_DIR", ".vct/data"));
      values.put("--postgres-port", env.getOrDefault("VCT_POSTGRES_PORT", "0"));
      values.put("--kafka-port", env.getOrDefault("VCT_KAFKA_PORT", "0"));
      values.put("--s3-port", env.getOrDefault("VCT_S3_PORT", "0"));
      values.put("--workers", env.getOrDefault("VCT_WORKERS", "1"));
      values.put("--model", env.getOrDefault("VCT_MODEL_PATH", ""));
      values.put("--port", env.getOrDefault("VCT_PORT", "0"));
      boolean help = false;
      boolean infrastructureOnly = false;
      List<String> rest = new ArrayList<>(List.of(args));
      while (!rest.isEmpty()) {
        String flag = rest.remove(0);
        if (flag.equals("-h") || flag.equals("--help")) {
          help = true;
          continue;
        }
        if (flag.equals("--infrastructure-only")) {
          infrastructureOnly = true;
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
      String model = values.get("--model").trim();
      return new Options(
          Path.of(values.get("--data-dir")),
          port(values, "--postgres-port"),
          port(values, "--kafka-port"),
          port(values, "--s3-port"),
          workers(values.get("--workers")),
          model.isEmpty() ? null : Path.of(model),
          port(values, "--port"),
          infrastructureOnly,
          help);
    }

    private static int workers(String text) {
      try {
        int n = Integer.parseInt(text.trim());
        if (n >= 1 && n <= 16) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          "--workers must be a number of worker processes per stage pool from 1 to 16, not '"
              + text
              + "'");
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
