package dev.vct.system;

import dev.vct.storage.event.StageEvent;
import dev.vct.storage.job.Stage;
import dev.vct.system.JobClient.JobRow;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

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

        --rate N                 jobs per second submitted (default 20)
        --seconds N              length of the measured run (default 30)
        --warmup-seconds N       run at the same rate before measuring (default 10)
        --workers N              simulated worker processes, each serving every stage (default 1)
        --worker-concurrency N   stages one worker runs at once (default 8)
        --find-max               then raise the rate (x1.5 per step, 15 s each) until jobs
                                 finish later than 2 s after the last submission of a step
        --data-dir DIR           where the servers and logs go (default: a new temporary folder)
      """;

  /** Steps of the simulated stages: none, so a stage is its request, its output write, reports. */
  private static final Map<String, Object> INSTANT = Map.of("simulate.steps", 0);

  private final JobStack stack;
  private final JobClient client;
  private final StageEventLog stageEvents;
  private final PrintStream out;

  private JobsBenchmark(JobStack stack, PrintStream out) {
    this.stack = stack;
    this.client = new JobClient(stack);
    this.stageEvents = new StageEventLog(stack.kafka().bootstrapServers());
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("vct bench jobs: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.print(USAGE);
      return;
    }
    PrintStream out = System.out;
    Path dataDir =
        options.dataDir() != null
            ? options.dataDir()
            : Files.createTempDirectory("vct-bench-jobs-");
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
            List.of("-Xmx768m", "-Djava.awt.headless=true"));
    try (JobStack stack = JobStack.start(dataDir, settings)) {
      out.printf("started in %.1f s%n", (System.nanoTime() - begin) / 1e9);
      JobsBenchmark bench = new JobsBenchmark(stack, out);
      try {
        bench.run(options);
      } finally {
        bench.client.close();
        bench.stageEvents.close();
      }
    }
  }

  private void run(Options options) {
    if (options.warmupSeconds() > 0) {
      out.printf("warm-up: %d s at %.0f jobs/s%n", options.warmupSeconds(), options.rate());
      Step warmup = step(options.rate(), Duration.ofSeconds(options.warmupSeconds()));
      out.println("  " + warmup.summary());
    }
    out.printf("measured: %d s at %.0f jobs/s%n", options.seconds(), options.rate());
    Step measured = step(options.rate(), Duration.ofSeconds(options.seconds()));
    out.println("  " + measured.summary());
    out.println(measured.table());
    if (options.findMax()) {
      double rate = options.rate();
      double sustained = measured.keptUp() ? rate : 0;
      while (true) {
        rate = Math.round(rate * 1.5);
        out.printf("find-max: 15 s at %.0f jobs/s%n", rate);
        Step attempt = step(rate, Duration.ofSeconds(15));
        out.println("  " + attempt.summary());
        if (!attempt.keptUp()) {
          break;
        }
        sustained = rate;
      }
      out.printf(Locale.ROOT, "max sustained rate: %.0f jobs/s%n", sustained);
    }
  }

  /** Submits at {@code rate} for {@code length}, waits for every job, and measures them. */
  private Step step(double rate, Duration length) {
    int count = (int) Math.round(rate * length.toMillis() / 1000.0);
    long periodNanos = Math.round(1e9 / rate);
    Map<UUID, Instant> submitted = new ConcurrentHashMap<>();
    ExecutorService submitters = Executors.newFixedThreadPool(4);
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long due = start + i * periodNanos;
      sleepUntil(due);
      long seed = i;
      submitters.execute(
          () -> {
            Instant at = Instant.now();
            UUID job = client.submit(INSTANT, seed);
            submitted.put(job, at);
          });
    }
    submitters.shutdown();
    awaitTermination(submitters);
    Instant lastSubmission = Instant.now();
    double achievedRate = count / ((System.nanoTime() - start) / 1e9);
    Map<UUID, JobRow> done =
        client.awaitTerminal(submitted.keySet(), Duration.ofSeconds(60).plus(length));
    return new Step(rate, achievedRate, submitted, done, lastSubmission, criticalPaths(done));
  }

  /** Per job, the stage time on its critical path: max(inversions) + fusion + scoring. */
  private Map<UUID, Duration> criticalPaths(Map<UUID, JobRow> jobs) {
    Map<UUID, Map<Stage, Duration>> ran = new HashMap<>();
    Map<String, Instant> started = new HashMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      ran.clear();
      started.clear();
      for (StageEvent event : stageEvents.events()) {
        if (!jobs.containsKey(event.jobId())) {
          continue;
        }
        String attempt = event.stageRunId() + "/" + event.attempt();
        if (event instanceof StageEvent.Started) {
          started.put(attempt, event.occurredAt());
        } else if (event instanceof StageEvent.Succeeded && started.containsKey(attempt)) {
          ran.computeIfAbsent(event.jobId(), j -> new EnumMap<>(Stage.class))
              .put(event.stage(), Duration.between(started.get(attempt), event.occurredAt()));
        }
      }
      boolean complete =
          ran.size() == jobs.size()
              && ran.values().stream().allMatch(m -> m.size() == Stage.values().length);
      if (complete || System.nanoTime() > deadline) {
        break;
      }
    }
    Map<UUID, Duration> paths = new HashMap<>();
    ran.forEach(
        (job, stages) -> {
          Duration content = stages.getOrDefault(Stage.CONTENT_INVERSION, Duration.ZERO);
          Duration concept = stages.getOrDefault(Stage.CONCEPT_INVERSION, Duration.ZERO);
          paths.put(
              job,
              (content.compareTo(concept) > 0 ? content : concept)
                  .plus(stages.getOrDefault(Stage.FUSION, Duration.ZERO))
                  .plus(stages.getOrDefault(Stage.SCORING, Duration.ZERO)));
        });
    return paths;
  }

  /** One run at one rate and what it measured. */
  private record Step(
      double rate,
      double achievedRate,
      Map<UUID, Instant> submitted,
      Map<UUID, JobRow> done,
      Instant lastSubmission,
      Map<UUID, Duration> criticalPaths) {

    List<Long> endToEndMillis() {
      return sorted(
          submitted.keySet().stream()
              .map(job -> Duration.between(submitted.get(job), done.get(job).finishedAt()))
              .map(Duration::toMillis)
              .toList());
    }

    List<Long> overheadMillis() {
      return sorted(
          submitted.keySet().stream()
              .filter(criticalPaths::containsKey)
              .map(
                  job ->
                      Duration.between(submitted.get(job), done.get(job).finishedAt())
                          .minus(criticalPaths.get(job)))
              .map(Duration::toMillis)
              .toList());
    }

    List<Long> stageMillis() {
      return sorted(criticalPaths.values().stream().map(Duration::toMillis).toList());
    }

    long succeeded() {
      return done.values().stream().filter(r -> r.status().equals("succeeded")).count();
    }

    /** Every job succeeded, and the last finished within 2 s of the last submission. */
    boolean keptUp() {
      Instant lastFinish =
          done.values().stream().map(JobRow::finishedAt).max(Instant::compareTo).orElseThrow();
      return succeeded() == submitted.size()
          && achievedRate >= rate * 0.95
          && Duration.between(lastSubmission, lastFinish).compareTo(Duration.ofSeconds(2)) <= 0;
    }

    String summary() {
      List<Long> overhead = overheadMillis();
      return String.format(
          Locale.ROOT,
          "%d jobs submitted at %.1f/s, %d succeeded; overhead p50 %d ms, p99 %d ms;"
              + " end-to-end p50 %d ms, p99 %d ms; %s",
          submitted.size(),
          achievedRate,
          succeeded(),
          percentile(overhead, 50),
          percentile(overhead, 99),
          percentile(endToEndMillis(), 50),
          percentile(endToEndMillis(), 99),
          keptUp() ? "kept up" : "fell behind");
    }

    String table() {
      Map<String, List<Long>> rows = new LinkedHashMap<>();
      rows.put("overhead (end-to-end - stages)", overheadMillis());
      rows.put("end-to-end", endToEndMillis());
      rows.put("stages on the critical path", stageMillis());
      StringBuilder text = new StringBuilder();
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

    private static List<Long> sorted(List<Long> values) {
      List<Long> copy = new ArrayList<>(values);
      Collections.sort(copy);
      return copy;
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
      boolean help) {

    static Options parse(String[] args) {
      Map<String, String> values = new HashMap<>();
      boolean findMax = false;
      boolean help = false;
      List<String> rest = new ArrayList<>(List.of(args));
      while (!rest.isEmpty()) {
        String flag = rest.remove(0);
        switch (flag) {
          case "-h", "--help" -> help = true;
          case "--find-max" -> findMax = true;
          case "--rate",
              "--seconds",
              "--warmup-seconds",
              "--workers",
              "--worker-concurrency",
              "--data-dir" -> {
            if (rest.isEmpty()) {
              throw new IllegalArgumentException(flag + " needs a value");
            }
            values.put(flag, rest.remove(0));
          }
          default -> throw new IllegalArgumentException("unknown option '" + flag + "'");
        }
      }
      double rate = number(values, "--rate", 20);
      if (rate <= 0) {
        throw new IllegalArgumentException("--rate must be above 0");
      }
      return new Options(
          rate,
          positive(values, "--seconds", 30),
          (int) number(values, "--warmup-seconds", 10),
          positive(values, "--workers", 1),
          positive(values, "--worker-concurrency", 8),
          findMax,
          values.containsKey("--data-dir") ? Path.of(values.get("--data-dir")) : null,
          help);
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
