package dev.vct.system;

import dev.vct.local.KafkaBroker;
import dev.vct.local.ManagedServer;
import dev.vct.local.PostgresServer;
import dev.vct.local.QuarkusService;
import dev.vct.local.S3Server;
import dev.vct.local.Supervisor;
import dev.vct.storage.blob.S3BlobStore;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The job system as it runs in production, on this machine: PostgreSQL, a Kafka broker and an S3
 * server as their own processes, the packaged orchestrator and a number of packaged simulated
 * workers (gpu-worker/simulated: deterministic checkpointing stages instead of the engine), each a
 * child JVM configured by environment variables. Every process can be killed and started again. The
 * API gateway's part (creating jobs) is played by {@link JobClient}, or by the packaged gateway
 * itself once {@link #startGateway} started it.
 */
public final class JobStack implements AutoCloseable {

  /** The bucket the services share. */
  public static final String BUCKET = "vct";

  /**
   * How the stack is set up.
   *
   * @param workers simulated worker processes per pool (without pools: in all)
   * @param orchestratorEnvironment settings of the orchestrator on top of the addresses
   * @param workerEnvironment settings of every worker on top of the addresses
   * @param jvmOptions heap and JIT options of the service JVMs
   * @param pools stage pools as in deploy/k8s, name to the comma-separated stages its workers serve
   *     (each pool its own consumer group, workers named {@code worker-<pool>-<i>}); empty: every
   *     worker ({@code worker-<i>}) serves every stage
   * @param supervised whether the orchestrator and workers are watched by a {@link Supervisor} that
   *     starts any of them again when it exits, as {@code ./vct up} does
   * @param brokerTuning how the Kafka broker's JVM is set up: for a quick start (tests, the chaos
   *     suite that restarts it) or for a long run (the benchmark)
   */
  public record Settings(
      int workers,
      Map<String, String> orchestratorEnvironment,
      Map<String, String> workerEnvironment,
      List<String> jvmOptions,
      Map<String, String> pools,
      boolean supervised,
      KafkaBroker.Tuning brokerTuning) {
    public Settings {
      if (workers < 1) {
        throw new IllegalArgumentException("a stack needs at least one worker, got " + workers);
      }
      orchestratorEnvironment = Map.copyOf(orchestratorEnvironment);
      workerEnvironment = Map.copyOf(workerEnvironment);
      jvmOptions = List.copyOf(jvmOptions);
      pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
    }

    /** Unsupervised workers that each serve every stage. */
    public Settings(
        int workers,
        Map<String, String> orchestratorEnvironment,
        Map<String, String> workerEnvironment,
        List<String> jvmOptions) {
      this(
          workers,
          orchestratorEnvironment,
          workerEnvironment,
          jvmOptions,
          Map.of(),
          false,
          KafkaBroker.Tuning.QUICK_START);
    }
  }

  private final Path dataDir;
  private final PostgresServer postgres;
  private final KafkaBroker kafka;
  private final S3Server s3;
  private final QuarkusService orchestrator;
  private final List<QuarkusService> workers = new ArrayList<>();
  private QuarkusService gateway;
  private final Supervisor supervisor;
  private final Settings settings;
  private final Map<String, String> infrastructure = new LinkedHashMap<>();
  private S3BlobStore blobs;

  private JobStack(Path dataDir, Settings settings, Map<String, String> postgresConfig) {
    this.dataDir = dataDir;
    this.settings = settings;
    this.postgres = new PostgresServer(dataDir.resolve("postgres"), postgresConfig);
    this.kafka = new KafkaBroker(dataDir.resolve("kafka"), 0, settings.brokerTuning());
    this.s3 = new S3Server(dataDir.resolve("s3"));
    infrastructure.putAll(kafka.environment());
    infrastructure.putAll(s3.environment(BUCKET));
    Map<String, String> orchestratorEnv = new HashMap<>(infrastructure);
    orchestratorEnv.putAll(postgres.environment());
    orchestratorEnv.putAll(settings.orchestratorEnvironment());
    this.orchestrator =
        new QuarkusService(
            "orchestrator",
            application("orchestrator"),
            0,
            settings.jvmOptions(),
            orchestratorEnv,
            dataDir.resolve("orchestrator.log"));
    Map<String, Map<String, String>> pools = new LinkedHashMap<>();
    if (settings.pools().isEmpty()) {
      pools.put("", Map.of());
    }
    settings
        .pools()
        .forEach(
            (pool, stages) ->
                pools.put(
                    pool + "-",
                    Map.of(
                        "VCT_WORKER_STAGES",
                        stages,
                        "VCT_WORKER_GROUP_ID",
                        "vct-workers-" + pool)));
    pools.forEach(
        (prefix, poolEnv) -> {
          for (int i = 1; i <= settings.workers(); i++) {
            workers.add(workerService("worker-" + prefix + i, poolEnv));
          }
        });
    this.supervisor = settings.supervised() ? new Supervisor(System.out) : null;
  }

  private QuarkusService workerService(String id, Map<String, String> environment) {
    Map<String, String> workerEnv = new HashMap<>(infrastructure);
    // A worker reads (only) its requests' job and stage-run rows, before and while it runs them.
    workerEnv.putAll(postgres.environment());
    workerEnv.put("VCT_WORKER_ID", id);
    workerEnv.putAll(settings.workerEnvironment());
    workerEnv.putAll(environment);
    return new QuarkusService(
        id,
        application("gpu-worker/simulated"),
        0,
        settings.jvmOptions(),
        workerEnv,
        dataDir.resolve(id + ".log"));
  }

  /**
   * Starts one more simulated worker named {@code id}, with {@code environment} on top of the
   * settings' worker environment (for example its own {@code VCT_WORKER_STAGES} and {@code
   * VCT_WORKER_GROUP_ID}, to play a stage pool); returns once it is ready. It joins its consumer
   * group as a worker scaled up while jobs run does.
   */
  public QuarkusService addWorker(String id, Map<String, String> environment) {
    if (workers.stream().anyMatch(w -> w.name().equals(id))) {
      throw new IllegalArgumentException("a worker named " + id + " exists already");
    }
    QuarkusService worker = workerService(id, environment);
    workers.add(worker);
    worker.start();
    return worker;
  }

  /**
   * Starts the packaged API gateway on a free port, with {@code adminKey} as its bootstrap admin
   * key and the simulated workers' model as its jobs' model; returns it once it is ready. Its jobs
   * are the real thing: validated inputs in the blob store, a job row and its submission.
   */
  public QuarkusService startGateway(String adminKey) {
    if (gateway != null) {
      throw new IllegalStateException("the gateway of this stack runs already");
    }
    Map<String, String> env = new HashMap<>(infrastructure);
    env.putAll(postgres.environment());
    env.put("VCT_BOOTSTRAP_API_KEY", adminKey);
    env.put("VCT_GATEWAY_MODEL_ID", JobClient.MODEL);
    gateway =
        new QuarkusService(
            "gateway",
            application("api-gateway"),
            0,
            settings.jvmOptions(),
            env,
            dataDir.resolve("gateway.log"));
    gateway.start();
    return gateway;
  }

  /**
   * Starts everything under {@code dataDir}: the three servers side by side, then the orchestrator
   * and the workers side by side; returns when every service reports ready.
   */
  public static JobStack start(Path dataDir, Settings settings) {
    return start(dataDir, settings, Map.of());
  }

  /** As {@link #start(Path, Settings)}, with these PostgreSQL server settings on top. */
  public static JobStack start(
      Path dataDir, Settings settings, Map<String, String> postgresConfig) {
    JobStack stack = new JobStack(dataDir.toAbsolutePath(), settings, postgresConfig);
    try {
      startTogether(List.of(stack.postgres, stack.kafka, stack.s3));
      stack.blobs =
          new S3BlobStore(
              new S3BlobStore.Settings(
                  URI.create(stack.s3.endpoint()),
                  stack.s3.region(),
                  BUCKET,
                  stack.s3.accessKey(),
                  stack.s3.secretKey()));
      List<ManagedServer> services = new ArrayList<>();
      services.add(stack.orchestrator);
      services.addAll(stack.workers);
      if (stack.supervisor != null) {
        stack.supervisor.startAll(services);
      } else {
        startTogether(services);
      }
      return stack;
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
  }

  /** Starts {@code servers} in parallel and waits for all; the first failure is thrown. */
  public static void startTogether(List<? extends ManagedServer> servers) {
    List<CompletableFuture<Void>> starting = new ArrayList<>();
    for (ManagedServer server : servers) {
      starting.add(CompletableFuture.runAsync(server::start, runnable -> thread(runnable).start()));
    }
    try {
      CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  public PostgresServer postgres() {
    return postgres;
  }

  public KafkaBroker kafka() {
    return kafka;
  }

  public S3Server s3() {
    return s3;
  }

  public QuarkusService orchestrator() {
    return orchestrator;
  }

  public List<QuarkusService> workers() {
    return List.copyOf(workers);
  }

  /**
   * The worker whose {@code vct.worker.id} is {@code id} ({@code worker-1}, {@code
   * worker-fusion-1}).
   */
  public QuarkusService worker(String id) {
    return workers.stream()
        .filter(w -> w.name().equals(id))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no worker named " + id));
  }

  /** The shared blob store, as the services see it. */
  public S3BlobStore blobs() {
    return blobs;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The last lines of every service's log, for failure messages. */
  public String logTails(int lines) {
    StringBuilder text = new StringBuilder();
    List<QuarkusService> services = new ArrayList<>();
    if (gateway != null) {
      services.add(gateway);
    }
    services.add(orchestrator);
    services.addAll(workers);
    for (QuarkusService service : services) {
      text.append("\n--- ").append(service.logFile()).append('\n');
      text.append(tail(service.logFile(), lines));
    }
    return text.toString();
  }

  /**
   * Kills the services (no drain needed at the end of a run; supervised ones are stopped by their
   * supervisor, so none is started again), then stops the servers.
   */
  @Override
  public void close() {
    List<Runnable> shutdown = new ArrayList<>();
    if (supervisor != null) {
      shutdown.add(supervisor::close);
    }
    workers.forEach(w -> shutdown.add(w::kill));
    if (gateway != null) {
      shutdown.add(gateway::kill);
    }
    shutdown.add(orchestrator::kill);
    shutdown.add(s3::stop);
    shutdown.add(kafka::stop);
    shutdown.add(postgres::stop);
    if (blobs != null) {
      shutdown.add(blobs::close);
    }
    RuntimeException failure = null;
    for (Runnable step : shutdown) {
      try {
        step.run();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * The packaged application of {@code module} under the repository root (system property {@code
   * vct.repository.root}, else the working directory or its parent).
   */
  static Path application(String module) {
    return repositoryRoot().resolve(module).resolve("target/quarkus-app").normalize();
  }

  private static Path repositoryRoot() {
    String configured = System.getProperty("vct.repository.root");
    if (configured != null) {
      return Path.of(configured);
    }
    Path here = Path.of("").toAbsolutePath();
    return Files.isDirectory(here.resolve("orchestrator")) ? here : here.getParent();
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (Exception e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private static Thread thread(Runnable runnable) {
    Thread t = new Thread(runnable, "job-stack-start");
    t.setDaemon(true);
    return t;
  }
}
