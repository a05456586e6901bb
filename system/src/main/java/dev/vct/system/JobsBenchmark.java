package dev.vct.system;

import dev.vct.local.KafkaBroker;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Stage;
import dev.vct.system.JobClient.JobRow;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code ./vct bench jobs}: the job system's own cost. Starts the stack of {@link JobStack} (real
 * PostgreSQL, Kafka and S3 processes, the packaged orchestrator with its production settings and
 * simulated workers whose stages take no steps), submits jobs at a steady rate and measures, per
 * job, the end-to-end latency (submission to the orchestrator's completion) minus the time its
 * stages ran on the critical path (the slower inversion, fusion, scoring; each from the worker's
 * {@code started} to its {@code succeeded} report). Then, with {@code --find-max}, raises the rate
 * step by step until the system no longer keeps up.
 */
public final class JobsBenchmark {

  static final String USAGE =
      """
      usage: ./vct bench jobs [--rate N] [--seconds N] [--warmup-seconds N] [--workers N]
                              [--worker-concurrency N] [--find-max] [--data-dir DIR]
                              [--jvm-options "OPTIONS"] [--jfr DIR] [--sql-stats]
                              [--timeline FILE]

        --rate N                 jobs per second submitted (default 20)
        --seconds N              length of the measured run (default 30); it is submitted at
                                 the rate with 10 s more before it and 2 s after it, whose jobs
                                 are not measured (the steady state), after a 10 s pause
                                 following the warm-up
        --warmup-seconds N       run at half the rate before measuring (default 300: on two cores
                                 shared by five JVMs the C2 compilers of the services and the
                                 broker are still busy after three minutes)
        --workers N              simulated worker processes, each serving every stage (default 1)
        --worker-concurrency N   stages one worker runs at once (default 8)
        --find-max               then raise the rate (x1.5 per step, 15 s each, with the same
                                 lead-in and tail) until jobs finish later than 2 s after the
                                 last submission of a step
        --data-dir DIR           where the servers and logs go (default: a new temporary folder)
        --jvm-options "OPTIONS"  JVM options of the orchestrator and worker processes
                                 (default "-Xmx768m -XX:+UseSerialGC": the full JIT and the serial
                                 collector, as ./vct up runs them)
        --jfr DIR                record the orchestrator, the workers and Kafka with Java Flight
                                 Recorder (settings=profile) during the measured run, one file per
                                 process in DIR (read them with `jfr print` or JDK Mission Control)
        --sql-stats              load pg_stat_statements into PostgreSQL and print, per step, the
                                 statements per job and the most expensive ones (calls and ms
                                 per job; it costs PostgreSQL some CPU)
        --timeline FILE          write the measured run's jobs to FILE as CSV, one row per job:
                                 its submission, each stage's queued, dispatched, relayed,
                                 started and succeeded instants, its end (epoch microseconds)
                                 and its overhead, to find when and where the slow jobs lost
                                 their time
      """;

  /** The services' JVM options unless --jvm-options says otherwise: as ./vct up runs them. */
  static final String DEFAULT_JVM_OPTIONS = "-Xmx768m -XX:+UseSerialGC";

  /**
   * PostgreSQL logs every autovacuum and autoanalyze run and checkpoint in postgres.log of the data
   * directory: what PostgreSQL did in the background, to set beside the jobs' timelines.
   */
  private static final Map<String, String> LOGGED_MAINTENANCE =
      Map.of("log_autovacuum_min_duration", "0", "log_checkpoints", "on");

  /**
   * Before a measured step, this long at its rate whose jobs are not measured (the lead-in), and
   * after it this long (the tail). The first jobs of a step found the stack idle after {@link
   * #SETTLE}, and its JIT compilers still meeting the code paths of the doubled rate: the
   * orchestrator compiled about 150 methods in the 3 s around the switch from the warm-up's rate,
   * against 5-15 a second after that, and with a 2 s lead-in the measured window's first two
   * seconds held its slowest jobs in half the runs (docs/bench-jobs.md, session 10). The last jobs
   * ran beside the benchmark polling for the step's end. Neither is the steady state at that rate.
   */
  private static final Margins MARGINS = new Margins(Duration.ofSeconds(10), Duration.ofSeconds(2));

  /** The unmeasured seconds at a step's rate before and after its measured window. */
  private record Margins(Duration leadIn, Duration tail) {
    static final Margins NONE = new Margins(Duration.ZERO, Duration.ZERO);

    Duration total() {
      return leadIn.plus(tail);
    }
  }

  /** The pause between two steps ({@link #settle}). */
  private static final Duration SETTLE = Duration.ofSeconds(10);

  /** Steps of the simulated stages: none, so a stage is its request, its output write, reports. */
  private static final Map<String, Object> INSTANT = Map.of("simulate.steps", 0);

  private final JobStack stack;
  private final JobClient client;
  private final EventLog events;
  private final PrintStream out;
  private final CpuMeter cpu;
  private final DispatchMeter dispatch;
  private final StatementStats statements;

  private JobsBenchmark(JobStack stack, PrintStream out, boolean sqlStats) {
    this.stack = stack;
    List<CpuMeter.Metered> processes = new ArrayList<>();
    processes.add(new CpuMeter.Metered("orchestrator", stack.orchestrator().pid(), false));
    stack.workers().forEach(w -> processes.add(new CpuMeter.Metered("worker", w.pid(), false)));
    processes.add(new CpuMeter.Metered("kafka", stack.kafka().pid(), false));
    processes.add(new CpuMeter.Metered("postgres", stack.postgres().pid(), true));
    processes.add(new CpuMeter.Metered("s3", stack.s3().pid(), false));
    processes.add(new CpuMeter.Metered("benchmark", ProcessHandle.current().pid(), false));
    this.cpu = CpuMeter.available() ? new CpuMeter(processes) : null;
    this.client = new JobClient(stack);
    List<String> topics = new ArrayList<>();
    topics.add(Topics.STAGE_EVENTS);
    for (Stage stage : Stage.values()) {
      topics.add(Topics.forStage(stage));
    }
    this.events = new EventLog(stack.kafka().bootstrapServers(), topics);
    this.out = out;
    this.dispatch = new DispatchMeter(stack.orchestrator().url());
    this.statements = sqlStats ? new StatementStats(stack.postgres()) : null;
  }

  public static void main(String[] args) throws Exception {
    Optional<Options> parsed =
        CommandOptions.parseOrExit("vct bench jobs", USAGE, args, Options::parse, Options::help);
    if (parsed.isEmpty()) {
      return;
    }
    Options options = parsed.get();
    PrintStream out = System.out;
    Path dataDir = CommandOptions.dataDir(options.dataDir(), "vct-bench-jobs-");
    out.printf(
        "starting PostgreSQL, Kafka, S3, the orchestrator and %d simulated worker(s) in %s%n",
        options.workers(), dataDir);
    long begin = System.nanoTime();
    JobStack.Settings settings =
        new JobStack.Settings(
            options.workers(),
            Map.of("QUARKUS_LOG_LEVEL", "WARN"),
            Map.of(
                "VCT_WORKER_CONCURRENCY",
                Integer.toString(options.workerConcurrency()),
                "QUARKUS_LOG_LEVEL",
                "WARN"),
            options.jvmOptions(),
            Map.of(),
            false,
            // a long-running broker, as in ./vct up: the full JIT costs less CPU once warm, fewer
            // pauses
            KafkaBroker.Tuning.LONG_RUNNING);
    Map<String, String> postgresConfig = new HashMap<>(LOGGED_MAINTENANCE);
    if (options.sqlStats()) {
      postgresConfig.putAll(StatementStats.SERVER_CONFIG);
    }
    try (JobStack stack = JobStack.start(dataDir, settings, postgresConfig)) {
      out.printf("started in %.1f s%n", (System.nanoTime() - begin) / 1e9);
      JobsBenchmark bench = new JobsBenchmark(stack, out, options.sqlStats());
      try {
        bench.run(options);
      } finally {
        bench.client.close();
        bench.events.close();
      }
    }
  }

  private void run(Options options) {
    if (options.warmupSeconds() > 0) {
      // At half the rate: a cold JIT at the full rate builds a backlog the run never works off.
      double warmupRate = Math.max(1, options.rate() / 2);
      out.printf("warm-up: %d s at %.0f jobs/s%n", options.warmupSeconds(), warmupRate);
      Step warmup = step(warmupRate, Duration.ofSeconds(options.warmupSeconds()), Margins.NONE);
      out.println("  " + warmup.summary());
      out.println(warmup.cpu().describe(warmup.submitted().size()));
      out.print(warmup.dispatch());
      settle();
    }
    out.printf("measured: %d s at %.0f jobs/s%n", options.seconds(), options.rate());
    FlightRecordings recordings = FlightRecordings.start(options.jfrDir(), jvmProcesses());
    Step measured = step(options.rate(), Duration.ofSeconds(options.seconds()), MARGINS);
    recordings.stop().forEach(file -> out.println("  flight recording: " + file));
    if (options.timeline() != null) {
      measured.writeTimeline(options.timeline());
      out.println("  timeline: " + options.timeline());
    }
    out.println("  " + measured.summary());
    out.println(measured.table());
    if (options.findMax()) {
      double rate = options.rate();
      double sustained = measured.keptUp() ? rate : 0;
      while (true) {
        rate = Math.round(rate * 1.5);
        settle();
        out.printf("find-max: 15 s at %.0f jobs/s%n", rate);
        Step attempt = step(rate, Duration.ofSeconds(15), MARGINS);
        out.println("  " + attempt.summary());
        out.println(attempt.cpu().describe(attempt.submitted().size()));
        out.print(attempt.dispatch());
        if (!attempt.keptUp()) {
          break;
        }
        sustained = rate;
      }
      out.printf(Locale.ROOT, "max sustained rate: %.0f jobs/s%n", sustained);
    }
  }

  /**
   * Waits {@link #SETTLE} between two steps. Summing up a step (its jobs' timelines, the database's
   * stage times) and compiling that code kept this JVM busy for about 3 s of CPU after a 3,000-job
   * warm-up, the JIT into the first 2 s of the next step: on two cores, the measured run's first
   * second had then a p99 of 500 ms from the benchmark itself (docs/bench-jobs.md, session 9).
   */
  private static void settle() {
    sleepUntil(System.nanoTime() + SETTLE.toNanos());
  }

  /** The stack's JVMs by name, for {@code --jfr}. */
  private Map<String, Long> jvmProcesses() {
    Map<String, Long> processes = new LinkedHashMap<>();
    processes.put("orchestrator", stack.orchestrator().pid());
    for (int i = 0; i < stack.workers().size(); i++) {
      processes.put("worker-" + (i + 1), stack.workers().get(i).pid());
    }
    processes.put("kafka", stack.kafka().pid());
    return processes;
  }

  /**
   * Submits at {@code rate} for {@code length} with {@code margins} before and after it, waits for
   * every job, and measures them; the latencies are those of the jobs submitted within {@code
   * length} (the steady state), the rest (CPU, counts, kept up) covers the margins too.
   */
  private Step step(double rate, Duration length, Margins margins) {
    int count = (int) Math.round(rate * length.plus(margins.total()).toMillis() / 1000.0);
    long periodNanos = Math.round(1e9 / rate);
    long measuredFrom = margins.leadIn().toNanos();
    long measuredUntil = margins.leadIn().plus(length).toNanos();
    Map<UUID, Instant> submitted = new ConcurrentHashMap<>();
    Set<UUID> measured = ConcurrentHashMap.newKeySet();
    ExecutorService submitters = Executors.newFixedThreadPool(4);
    Map<String, Double> cpuBefore = cpu != null ? cpu.sample() : Map.of();
    Map<String, Double> roundsBefore = dispatch.sample();
    if (statements != null) {
      statements.reset();
    }
    Instant began = Instant.now();
    double machineBefore = CpuMeter.machineBusySeconds();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long due = start + i * periodNanos;
      sleepUntil(due);
      long seed = i;
      boolean inWindow = i * periodNanos >= measuredFrom && i * periodNanos < measuredUntil;
      submitters.execute(
          () -> {
            Instant at = Instant.now();
            UUID job = client.submit(INSTANT, seed);
            submitted.put(job, at);
            if (inWindow) {
              measured.add(job);
            }
          });
    }
    submitters.shutdown();
    awaitTermination(submitters);
    Instant lastSubmission = Instant.now();
    double achievedRate = count / ((System.nanoTime() - start) / 1e9);
    Map<UUID, JobRow> done;
    try {
      done = client.awaitTerminal(submitted.keySet(), Duration.ofSeconds(60).plus(length));
    } catch (IllegalStateException e) {
      // fell behind: measure what finished, and say how many did not
      done = new HashMap<>(client.jobs(submitted.keySet()));
      done.values().removeIf(row -> !row.terminal());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Cpu used =
        new Cpu(
            seconds,
            difference(cpu != null ? cpu.sample() : Map.of(), cpuBefore),
            CpuMeter.machineBusySeconds() - machineBefore);
    Map<String, Double> roundsAfter = dispatch.sample();
    List<JobClient.StageTimes> runs = client.stageTimes(submitted.keySet());
    Map<UUID, Instant> queued = new HashMap<>();
    runs.stream().filter(r -> r.queuedAt() != null).forEach(r -> queued.put(r.id(), r.queuedAt()));
    Map<UUID, Timeline> timelines = timelines(done, submitted, queued);
    List<Long> wholeStep = sorted(timelines.values(), Timeline::overhead);
    timelines.keySet().retainAll(measured);
    String dispatched =
        dispatch.describe(
                roundsBefore, roundsAfter, runs, client.dispatchPools(), began, Instant.now())
            + (statements != null ? statements.describe(count) : "");
    return new Step(
        rate,
        achievedRate,
        submitted,
        done,
        lastSubmission,
        margins,
        wholeStep,
        timelines,
        used,
        dispatched);
  }

  /** One part of each timeline, in ascending order (for percentiles). */
  private static List<Long> sorted(Collection<Timeline> timelines, ToLongFunction<Timeline> part) {
    List<Long> values = new ArrayList<>();
    timelines.forEach(t -> values.add(part.applyAsLong(t)));
    Collections.sort(values);
    return values;
  }

  private static Map<String, Double> difference(
      Map<String, Double> after, Map<String, Double> before) {
    Map<String, Double> used = new LinkedHashMap<>();
    after.forEach((name, value) -> used.put(name, value - before.getOrDefault(name, 0.0)));
    return used;
  }

  /**
   * Per job, where its time went along its critical path (the later inversion, fusion, scoring),
   * from the stage requests on the stage topics (dispatched: the orchestrator's transaction;
   * relayed: the record's create time) and the workers' reports.
   */
  private Map<UUID, Timeline> timelines(
      Map<UUID, JobRow> jobs, Map<UUID, Instant> submitted, Map<UUID, Instant> queued) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Map<UUID, Timeline> timelines = new HashMap<>();
    while (timelines.size() < jobs.size() && System.nanoTime() < deadline) {
      Map<String, StageRequest> requests = new HashMap<>();
      Map<String, Instant> relayed = new HashMap<>();
      Map<String, Instant> started = new HashMap<>();
      Map<String, Instant> succeeded = new HashMap<>();
      for (EventLog.Received received : events.received()) {
        if (received.event() instanceof StageRequest r && jobs.containsKey(r.jobId())) {
          requests.put(attempt(r.stageRunId(), r.attempt()), r);
          relayed.put(attempt(r.stageRunId(), r.attempt()), received.produced());
        } else if (received.event() instanceof StageEvent e && jobs.containsKey(e.jobId())) {
          if (e instanceof StageEvent.Started) {
            started.put(attempt(e.stageRunId(), e.attempt()), e.occurredAt());
          } else if (e instanceof StageEvent.Succeeded s) {
            succeeded.put(attempt(e.stageRunId(), e.attempt()), e.occurredAt());
            if (s.unreportedStart() != null) { // a quick stage: its start came with its success
              started.put(attempt(e.stageRunId(), e.attempt()), s.unreportedStart().startedAt());
            }
          }
        }
      }
      Map<UUID, Map<Stage, Hop>> hops = new HashMap<>();
      succeeded.forEach(
          (key, done) -> {
            StageRequest r = requests.get(key);
            if (r != null && started.containsKey(key)) {
              hops.computeIfAbsent(r.jobId(), j -> new EnumMap<>(Stage.class))
                  .put(
                      r.stage(),
                      new Hop(
                          queued.getOrDefault(r.stageRunId(), r.occurredAt()),
                          r.occurredAt(),
                          relayed.get(key),
                          started.get(key),
                          done));
            }
          });
      hops.forEach(
          (job, stages) -> {
            if (stages.size() == Stage.values().length) {
              timelines.put(
                  job, Timeline.of(job, submitted.get(job), stages, jobs.get(job).finishedAt()));
            }
          });
    }
    return timelines;
  }

  private static String attempt(UUID stageRun, int attempt) {
    return stageRun + "/" + attempt;
  }

  /**
   * One stage's run: queued by the orchestrator, dispatched (a slot of its pool was free), relayed
   * to Kafka, started, succeeded.
   */
  private record Hop(
      Instant queued, Instant dispatched, Instant relayed, Instant started, Instant succeeded) {}

  /**
   * A job's time along its critical path, in milliseconds: planning (submission to the inversions'
   * dispatch), the outbox relay, the workers' pickup (relayed to started), the stages themselves,
   * and the orchestrator's reaction (a stage's success to the next dispatch or the job's end).
   */
  private record Timeline(
      long endToEnd,
      long plan,
      long queued,
      long relay,
      long pickup,
      long stages,
      long react,
      UUID job,
      Instant submitted,
      Map<Stage, Hop> hops,
      Instant finished) {

    static final String CSV_HEADER =
        "job,submitted,"
            + Arrays.stream(Stage.values())
                .map(
                    stage ->
                        Stream.of("queued", "dispatched", "relayed", "started", "succeeded")
                            .map(instant -> stage.code() + "_" + instant)
                            .collect(Collectors.joining(",")))
                .collect(Collectors.joining(","))
            + ",finished,overhead_ms";

    static Timeline of(UUID job, Instant submitted, Map<Stage, Hop> hops, Instant finished) {
      Hop content = hops.get(Stage.CONTENT_INVERSION);
      Hop concept = hops.get(Stage.CONCEPT_INVERSION);
      Hop inversion = content.succeeded().isAfter(concept.succeeded()) ? content : concept;
      List<Hop> path = List.of(inversion, hops.get(Stage.FUSION), hops.get(Stage.SCORING));
      long relay = 0;
      long pickup = 0;
      long stages = 0;
      long react = 0;
      long queued = 0;
      for (int i = 0; i < path.size(); i++) {
        Hop hop = path.get(i);
        queued += millis(hop.queued(), hop.dispatched());
        relay += millis(hop.dispatched(), hop.relayed());
        pickup += millis(hop.relayed(), hop.started());
        stages += millis(hop.started(), hop.succeeded());
        Instant next = i + 1 < path.size() ? path.get(i + 1).dispatched() : finished;
        react += millis(hop.succeeded(), next);
      }
      return new Timeline(
          millis(submitted, finished),
          millis(submitted, inversion.dispatched()),
          queued,
          relay,
          pickup,
          stages,
          react,
          job,
          submitted,
          hops,
          finished);
    }

    /** Its row of {@link #CSV_HEADER}. */
    String csv() {
      StringBuilder csv = new StringBuilder(job.toString()).append(',').append(micros(submitted));
      for (Stage stage : Stage.values()) {
        Hop hop = hops.get(stage);
        Stream.of(hop.queued(), hop.dispatched(), hop.relayed(), hop.started(), hop.succeeded())
            .forEach(instant -> csv.append(',').append(micros(instant)));
      }
      return csv.append(',').append(micros(finished)).append(',').append(overhead()).toString();
    }

    private static long micros(Instant instant) {
      return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
    }

    long overhead() {
      return endToEnd - stages;
    }

    private static long millis(Instant from, Instant to) {
      return Duration.between(from, to).toMillis();
    }
  }

  /**
   * CPU used during a step (first submission to last completion): per process of the stack, and by
   * the whole machine (other work on it included), in seconds.
   */
  private record Cpu(double wallSeconds, Map<String, Double> byProcess, double machine) {

    String describe(int jobs) {
      if (byProcess.isEmpty()) {
        return "  (no /proc: CPU use not measured)";
      }
      double stack = byProcess.values().stream().mapToDouble(Double::doubleValue).sum();
      StringBuilder text =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "  CPU per job %.1f ms (stack %.2f cores, whole machine %.2f of %d cores, %.0f s):",
                  stack * 1000 / jobs,
                  stack / wallSeconds,
                  machine / wallSeconds,
                  Runtime.getRuntime().availableProcessors(),
                  wallSeconds));
      byProcess.forEach(
          (name, seconds) ->
              text.append(String.format(Locale.ROOT, " %s %.1f", name, seconds * 1000 / jobs)));
      return text.toString();
    }
  }

  /** One run at one rate and what it measured. */
  private record Step(
      double rate,
      double achievedRate,
      Map<UUID, Instant> submitted,
      Map<UUID, JobRow> done,
      Instant lastSubmission,
      Margins margins,
      List<Long> wholeStepOverhead,
      Map<UUID, Timeline> timelines,
      Cpu cpu,
      String dispatch) {

    List<Long> values(ToLongFunction<Timeline> part) {
      return sorted(timelines.values(), part);
    }

    long succeeded() {
      return done.values().stream().filter(r -> r.status().equals("succeeded")).count();
    }

    /** Every job succeeded, and the last finished within 2 s of the last submission. */
    boolean keptUp() {
      Instant lastFinish =
          done.values().stream().map(JobRow::finishedAt).max(Instant::compareTo).orElse(null);
      return lastFinish != null
          && succeeded() == submitted.size()
          && achievedRate >= rate * 0.95
          && Duration.between(lastSubmission, lastFinish).compareTo(Duration.ofSeconds(2)) <= 0;
    }

    /** The jobs' timelines as CSV ({@link Timeline#CSV_HEADER}), in submission order. */
    void writeTimeline(Path file) {
      List<String> lines = new ArrayList<>();
      lines.add(Timeline.CSV_HEADER);
      timelines.values().stream()
          .sorted(Comparator.comparing(Timeline::submitted))
          .forEach(t -> lines.add(t.csv()));
      try {
        Files.write(file, lines);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the timeline to " + file, e);
      }
    }

    String summary() {
      List<Long> overhead = values(Timeline::overhead);
      List<Long> endToEnd = values(Timeline::endToEnd);
      return String.format(
          Locale.ROOT,
          "%d jobs submitted at %.1f/s, %d succeeded, %d unfinished; %soverhead p50 %d ms, p99 %d"
              + " ms; end-to-end p50 %d ms, p99 %d ms; %s",
          submitted.size(),
          achievedRate,
          succeeded(),
          submitted.size() - done.size(),
          margins.total().isZero()
              ? ""
              : String.format(
                  Locale.ROOT,
                  "overhead of all %d: p50 %d ms, p99 %d ms; of the %d submitted after the first"
                      + " %d s and before the last %d s: ",
                  wholeStepOverhead.size(),
                  percentile(wholeStepOverhead, 50),
                  percentile(wholeStepOverhead, 99),
                  timelines.size(),
                  margins.leadIn().toSeconds(),
                  margins.tail().toSeconds()),
          percentile(overhead, 50),
          percentile(overhead, 99),
          percentile(endToEnd, 50),
          percentile(endToEnd, 99),
          keptUp() ? "kept up" : "fell behind");
    }

    String table() {
      Map<String, List<Long>> rows = new LinkedHashMap<>();
      rows.put("overhead (end-to-end - stages)", values(Timeline::overhead));
      rows.put("end-to-end", values(Timeline::endToEnd));
      rows.put("  stages (critical path)", values(Timeline::stages));
      rows.put("  submit to first dispatch", values(Timeline::plan));
      rows.put("  outbox relay (3 hops)", values(Timeline::relay));
      rows.put("  worker pickup (3 hops)", values(Timeline::pickup));
      rows.put("  orchestrator reaction (3)", values(Timeline::react));
      rows.put("  queued for a slot (3, within 2 above)", values(Timeline::queued));
      StringBuilder text = new StringBuilder();
      text.append(cpu.describe(submitted.size())).append('\n');
      text.append(dispatch);
      text.append(
          String.format(
              Locale.ROOT, "  %-32s %7s %7s %7s %7s%n", "ms per job", "p50", "p90", "p99", "max"));
      rows.forEach(
          (name, values) ->
              text.append(
                  String.format(
                      Locale.ROOT,
                      "  %-32s %7d %7d %7d %7d%n",
                      name,
                      percentile(values, 50),
                      percentile(values, 90),
                      percentile(values, 99),
                      percentile(values, 100))));
      return text.toString();
    }

    /** Nearest-rank percentile; -1 for no values. */
    private static long percentile(List<Long> sorted, int p) {
      if (sorted.isEmpty()) {
        return -1;
      }
      int rank = (int) Math.ceil(p / 100.0 * sorted.size());
      return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
  }

  private static void sleepUntil(long nanoTime) {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  private static void awaitTermination(ExecutorService executor) {
    try {
      if (!executor.awaitTermination(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException("submissions did not finish within 5 minutes");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Command line options. */
  record Options(
      double rate,
      int seconds,
      int warmupSeconds,
      int workers,
      int workerConcurrency,
      boolean findMax,
      Path dataDir,
      List<String> jvmOptions,
      Path jfrDir,
      boolean sqlStats,
      Path timeline,
      boolean help) {

    static Options parse(String[] args) {
      Map<String, String> values =
          CommandLineFlags.parse(
              args,
              Set.of(
                  "--rate",
                  "--seconds",
                  "--warmup-seconds",
                  "--workers",
                  "--worker-concurrency",
                  "--data-dir",
                  "--jvm-options",
                  "--jfr",
                  "--timeline"),
              Set.of("--find-max", "--sql-stats"));
      double rate = number(values, "--rate", 20);
      if (rate <= 0) {
        throw new IllegalArgumentException("--rate must be above 0");
      }
      return new Options(
          rate,
          positive(values, "--seconds", 30),
          (int) number(values, "--warmup-seconds", 300),
          positive(values, "--workers", 1),
          positive(values, "--worker-concurrency", 8),
          values.containsKey("--find-max"),
          CommandLineFlags.path(values, "--data-dir"),
          jvmOptions(values.getOrDefault("--jvm-options", DEFAULT_JVM_OPTIONS)),
          CommandLineFlags.path(values, "--jfr"),
          values.containsKey("--sql-stats"),
          CommandLineFlags.path(values, "--timeline"),
          values.containsKey(CommandLineFlags.HELP));
    }

    private static List<String> jvmOptions(String text) {
      List<String> options = new ArrayList<>(List.of(text.trim().split("\\s+")));
      options.removeIf(String::isEmpty);
      options.add("-Djava.awt.headless=true");
      return options;
    }

    private static int positive(Map<String, String> values, String flag, int fallback) {
      double value = number(values, flag, fallback);
      if (value < 1 || value != Math.floor(value)) {
        throw new IllegalArgumentException(flag + " must be a whole number of at least 1");
      }
      return (int) value;
    }

    private static double number(Map<String, String> values, String flag, double fallback) {
      String text = values.get(flag);
      if (text == null) {
        return fallback;
      }
      try {
        return Double.parseDouble(text);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(flag + " must be a number, not '" + text + "'");
      }
    }
  }
}
