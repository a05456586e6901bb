package dev.vct.system;

import dev.vct.local.KafkaBroker;
import dev.vct.local.QuarkusService;
import dev.vct.storage.blob.BlobKeys;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Scores;
import dev.vct.storage.job.Stage;
import dev.vct.system.JobClient.JobRow;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code ./vct chaos}: the job system under failures. Starts the stack of {@link JobStack} with
 * supervised worker pools (killed processes come back, as under {@code ./vct up}) of simulated
 * workers whose stages take seconds and checkpoint every few steps, submits jobs (as {@link
 * JobClient}: a job row and its submission, what the gateway does), and meanwhile, on a schedule
 * drawn from {@code --seed}, SIGKILLs busy workers, kills (SIGKILL) and stops (SIGTERM) the
 * orchestrator and the Kafka broker, restarts PostgreSQL, cancels a few jobs, and cancels a few
 * jobs during a restart of the worker that runs them (frozen with SIGSTOP, the job cancelled, then
 * SIGKILLed: its uncommitted request comes back to the restarted worker), and cancels a few jobs
 * while the worker that ran them is down (SIGKILLed, the cancel recorded while its supervisor
 * starts it again), and submits groups of jobs with one reference image at once (single flight: one
 * concept inversion for the group) and SIGKILLs the worker that runs their shared inversion. When
 * every job has ended it checks, from PostgreSQL, the event topics and the blob store, that no job
 * was lost or ended twice, that every result equals what an uninterrupted run computes, that no
 * stage of a cancelled job started after the cancel was recorded and that each group's concept
 * inversion succeeded at most once and gave every other job of the group its output, counts the
 * steps that checkpoints saved, and prints one summary line. Exit status 0 when every check passed,
 * 1 when one did not.
 */
public final class ChaosSuite {

  static final String USAGE =
      """
      usage: ./vct chaos [--jobs N] [--worker-kills N] [--orchestrator-restarts N]
                         [--broker-restarts N] [--postgres-restarts N] [--cancels N]
                         [--restart-cancels N] [--down-cancels N]
                         [--shared-reference-groups N] [--shared-reference-jobs N] [--seed N]
                         [--workers-per-pool N] [--step-ms N] [--submit-interval-ms N]
                         [--timeout-seconds N] [--data-dir DIR]

        --jobs N                  jobs submitted (default 50)
        --worker-kills N          workers killed with SIGKILL, each while it runs a stage when one
                                  does (default 10)
        --orchestrator-restarts N orchestrator restarts, alternately SIGKILL and SIGTERM (default 2)
        --broker-restarts N       Kafka broker restarts, alternately SIGKILL and SIGTERM (default 2)
        --postgres-restarts N     PostgreSQL restarts by SIGKILL (default 1)
        --cancels N               jobs cancelled while they run (default 3)
        --restart-cancels N       jobs cancelled while the worker running one of their stages is
                                  frozen, which is then SIGKILLed and restarted (default 2)
        --down-cancels N          jobs cancelled right after the worker running one of their
                                  stages was SIGKILLed, while it restarts (default 2)
        --shared-reference-groups N groups of jobs with one reference image, each submitted at
                                  once; the worker that runs the group's one concept inversion
                                  is SIGKILLed (default 2)
        --shared-reference-jobs N jobs in each such group (default 4)
        --seed N                  the schedule of failures and the jobs' seeds (default: random,
                                  printed; the same seed repeats the same schedule)
        --workers-per-pool N      simulated workers in each of the pools inversion, fusion and
                                  scoring (default 2)
        --step-ms N               length of one simulated step; inversions take 20 steps, fusion
                                  30, scoring 5, with a checkpoint every 5 (default 150)
        --submit-interval-ms N    time between two submissions (default 1000)
        --timeout-seconds N       how long to wait for every job to end (default 600)
        --data-dir DIR            where the servers and logs go (default: a new temporary folder)
      """;

  /** The pools of ./vct up and deploy/k8s. */
  static final Map<String, String> POOLS =
      orderedMap(
          "inversion",
          "content-inversion,concept-inversion",
          "fusion",
          "fusion",
          "scoring",
          "scoring");

  static final int INVERSION_STEPS = 20;
  static final int FUSION_STEPS = 30;
  static final int SCORING_STEPS = 5;
  static final int CHECKPOINT_EVERY = 5;

  /** One thing the suite does at a planned time after the start. */
  enum Kind {
    SUBMIT,
    SUBMIT_SHARED_REFERENCE,
    CANCEL,
    CANCEL_DURING_RESTART,
    CANCEL_WHILE_DOWN,
    KILL_WORKER,
    KILL_ORCHESTRATOR,
    STOP_ORCHESTRATOR,
    KILL_BROKER,
    STOP_BROKER,
    KILL_POSTGRES
  }

  record Action(long atMillis, Kind kind, int job) {}

  private final Options options;
  private final JobStack stack;
  private final JobClient client;
  private final EventLog events;
  private final PrintStream out;
  private final Random random;
  private final long begin = System.nanoTime();

  private final List<UUID> jobs = new ArrayList<>();
  private final Map<UUID, Long> seeds = new HashMap<>();
  private final Set<UUID> cancelled = new HashSet<>();
  private int restartCancels;
  private int downCancels;
  private final Map<Integer, List<UUID>> sharedReferenceGroups = new TreeMap<>();
  private int sharedRunKills;
  private final Set<Integer> sharedRunsHit = new HashSet<>();
  private final Map<String, Instant> lastKilled = new HashMap<>();
  private int workerKills;
  private int killsMidStage;
  private int orchestratorRestarts;
  private int brokerRestarts;
  private int postgresRestarts;

  private ChaosSuite(Options options, JobStack stack, PrintStream out) {
    this.options = options;
    this.stack = stack;
    this.client = new JobClient(stack);
    this.events =
        new EventLog(
            stack.kafka().bootstrapServers(), List.of(Topics.STAGE_EVENTS, Topics.JOB_EVENTS));
    this.out = out;
    this.random = new Random(options.seed());
  }

  public static void main(String[] args) throws Exception {
    Optional<Options> parsed =
        CommandOptions.parseOrExit("vct chaos", USAGE, args, Options::parse, Options::help);
    if (parsed.isEmpty()) {
      return;
    }
    Options options = parsed.get();
    PrintStream out = System.out;
    Path dataDir = CommandOptions.dataDir(options.dataDir(), "vct-chaos-");
    out.printf(
        "chaos: seed %d; starting PostgreSQL, Kafka, S3, the orchestrator and %d simulated workers"
            + " per pool (%s) in %s%n",
        options.seed(), options.workersPerPool(), String.join(", ", POOLS.keySet()), dataDir);
    boolean passed;
    long starting = System.nanoTime();
    try (JobStack stack = JobStack.start(dataDir, settings(options))) {
      out.printf("chaos: started in %.1f s%n", (System.nanoTime() - starting) / 1e9);
      ChaosSuite suite = new ChaosSuite(options, stack, out);
      try {
        passed = suite.run();
      } finally {
        suite.client.close();
        suite.events.close();
      }
    }
    if (!passed) {
      out.println("chaos: the services' logs are in " + dataDir);
    }
    System.exit(passed ? 0 : 1);
  }

  /** Short leases and frequent heartbeats, so a killed worker's stage moves on within seconds. */
  static JobStack.Settings settings(Options options) {
    return new JobStack.Settings(
        options.workersPerPool(),
        Map.of(
            "VCT_ORCHESTRATOR_LEASE", "5s",
            "VCT_ORCHESTRATOR_SWEEP_INTERVAL", "250ms",
            "VCT_ORCHESTRATOR_PLAN_GRACE", "3s",
            "VCT_ORCHESTRATOR_RETRY_BASE", "200ms",
            "VCT_ORCHESTRATOR_RETRY_CAP", "2s",
            "VCT_ORCHESTRATOR_STAGE_TOPIC_PARTITIONS", "4",
            "QUARKUS_LOG_LEVEL", "INFO"),
        Map.of(
            "VCT_WORKER_CONCURRENCY", "2",
            "VCT_WORKER_HEARTBEAT_INTERVAL", "500ms",
            "VCT_WORKER_PROGRESS_INTERVAL", "50ms",
            "VCT_WORKER_CHECKPOINT_EVERY_STEPS", Integer.toString(CHECKPOINT_EVERY),
            "VCT_WORKER_KAFKA_POLL_TIMEOUT", "100ms",
            "VCT_WORKER_KAFKA_SESSION_TIMEOUT", "6s",
            "VCT_WORKER_KAFKA_TOPIC_PARTITIONS", "4",
            "VCT_WORKER_DRAIN_TIMEOUT", "5s",
            // A running stage of a job that ended stops within a second even without the cancel
            // message (a broker restart may hold it up).
            "VCT_WORKER_ATTEMPT_CHECK_EVERY", "1s"),
        List.of(
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"),
        POOLS,
        true,
        KafkaBroker.Tuning.QUICK_START);
  }

  /** The parameters of every job: the simulated stages' steps and their length. */
  private Map<String, Object> parameters() {
    return Map.of(
        "simulate.steps", INVERSION_STEPS,
        "simulate.step-ms", options.stepMillis(),
        "simulate.fusion.steps", FUSION_STEPS,
        "simulate.scoring.steps", SCORING_STEPS);
  }

  /**
   * The schedule: submissions at a steady pace, failures at random times drawn from {@code random}
   * among them and up to a while after the last submission, cancellations of jobs submitted a few
   * seconds before. In time order.
   */
  static List<Action> plan(Options options, Random random) {
    List<Action> plan = new ArrayList<>();
    long interval = options.submitIntervalMillis();
    for (int i = 0; i < options.jobs(); i++) {
      plan.add(new Action(i * interval, Kind.SUBMIT, i));
    }
    long submitting = options.jobs() * interval;
    // Failures from a few seconds in until a while after the last submission, when stages run.
    long from = Math.min(5_000, submitting / 4);
    long until = submitting + 20L * options.stepMillis() * 4;
    for (int i = 0; i < options.workerKills(); i++) {
      plan.add(new Action(between(random, from, until), Kind.KILL_WORKER, -1));
    }
    for (int i = 0; i < options.orchestratorRestarts(); i++) {
      Kind kind = i % 2 == 0 ? Kind.KILL_ORCHESTRATOR : Kind.STOP_ORCHESTRATOR;
      plan.add(new Action(between(random, from, until), kind, -1));
    }
    for (int i = 0; i < options.brokerRestarts(); i++) {
      Kind kind = i % 2 == 0 ? Kind.KILL_BROKER : Kind.STOP_BROKER;
      plan.add(new Action(between(random, from, until), kind, -1));
    }
    for (int i = 0; i < options.postgresRestarts(); i++) {
      plan.add(new Action(between(random, from, until), Kind.KILL_POSTGRES, -1));
    }
    for (int i = 0; i < options.restartCancels(); i++) {
      plan.add(new Action(between(random, from, submitting), Kind.CANCEL_DURING_RESTART, -1));
    }
    for (int i = 0; i < options.downCancels(); i++) {
      plan.add(new Action(between(random, from, submitting), Kind.CANCEL_WHILE_DOWN, -1));
    }
    for (int i = 0; i < options.sharedReferenceGroups(); i++) {
      plan.add(new Action(between(random, from, submitting), Kind.SUBMIT_SHARED_REFERENCE, i));
    }
    for (int i = 0; i < Math.min(options.cancels(), options.jobs()); i++) {
      long at = between(random, submitting / 3, submitting);
      // A job submitted by then (at most a few seconds before, so it is still running).
      int latest = (int) Math.min(options.jobs() - 1, at / interval);
      int job = Math.max(0, latest - random.nextInt(Math.max(1, (int) (4_000 / interval))));
      plan.add(new Action(Math.max(at, job * interval + 1), Kind.CANCEL, job));
    }
    plan.sort(Comparator.comparingLong(Action::atMillis).thenComparing(Action::kind));
    return plan;
  }

  private static long between(Random random, long from, long until) {
    return from + (long) (random.nextDouble() * (until - from));
  }

  private boolean run() {
    List<Action> plan = plan(options, random);
    long start = System.nanoTime();
    for (Action action : plan) {
      sleepUntil(start + TimeUnit.MILLISECONDS.toNanos(action.atMillis()));
      act(action);
    }
    out.printf("chaos: %s all %d jobs submitted; waiting for them to end%n", now(), jobs.size());
    List<String> violations = new ArrayList<>();
    Map<UUID, JobRow> rows;
    try {
      rows = client.awaitTerminal(jobs, Duration.ofSeconds(options.timeoutSeconds()));
    } catch (IllegalStateException e) {
      violations.add(e.getMessage());
      rows = client.jobs(jobs);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    Check check = new Check(rows, violations);
    check.run();
    String verdict = violations.isEmpty() ? "PASS" : "FAIL";
    violations.forEach(v -> out.println("chaos: VIOLATION " + v));
    out.printf(
        Locale.ROOT,
        "chaos: %s jobs=%d succeeded=%d failed=%d cancelled=%d worker-kills=%d (mid-stage %d)"
            + " restart-cancels=%d down-cancels=%d shared-reference=%d groups of %d (owner-kills %d,"
            + " concept-runs %d, shared %d) orchestrator-restarts=%d broker-restarts=%d"
            + " postgres-restarts=%d resumes=%d"
            + " steps-saved=%d of %d (redone %d) duration=%ds seed=%d%n",
        verdict,
        jobs.size(),
        check.count("succeeded"),
        check.count("failed"),
        check.count("cancelled"),
        workerKills,
        killsMidStage,
        restartCancels,
        downCancels,
        sharedReferenceGroups.size(),
        options.sharedReferenceJobs(),
        sharedRunKills,
        check.sharedConceptRuns,
        check.sharedOutputs,
        orchestratorRestarts,
        brokerRestarts,
        postgresRestarts,
        check.resumes,
        check.stepsSaved,
        check.stepsAtRisk,
        check.stepsAtRisk - check.stepsSaved,
        took.toSeconds(),
        options.seed());
    return violations.isEmpty();
  }

  private void act(Action action) {
    switch (action.kind()) {
      case SUBMIT -> {
        long seed = random.nextInt(1_000_000);
        UUID job = client.submit(parameters(), seed);
        jobs.add(job);
        seeds.put(job, seed);
      }
      case CANCEL -> {
        UUID job = jobs.get(action.job());
        if (cancelled.add(job)) {
          client.cancel(job);
          log("cancelled job %s", job);
        }
      }
      case SUBMIT_SHARED_REFERENCE -> submitSharedReference(action.job());
      case CANCEL_DURING_RESTART -> cancelDuringRestart();
      case CANCEL_WHILE_DOWN -> cancelWhileDown();
      case KILL_WORKER -> killWorker();
      case KILL_ORCHESTRATOR -> {
        stack.orchestrator().kill();
        orchestratorRestarts++;
        log("orchestrator killed (SIGKILL); the supervisor starts it again");
      }
      case STOP_ORCHESTRATOR -> {
        stack.orchestrator().stop();
        orchestratorRestarts++;
        log("orchestrator stopped (SIGTERM); the supervisor starts it again");
      }
      case KILL_BROKER, STOP_BROKER -> {
        boolean kill = action.kind() == Kind.KILL_BROKER;
        if (kill) {
          stack.kafka().kill();
        } else {
          stack.kafka().stop();
        }
        sleep(Duration.ofSeconds(2));
        stack.kafka().start();
        brokerRestarts++;
        log("Kafka broker %s and started again", kill ? "killed (SIGKILL)" : "stopped (SIGTERM)");
      }
      case KILL_POSTGRES -> {
        stack.postgres().kill();
        sleep(Duration.ofSeconds(1));
        stack.postgres().start();
        postgresRestarts++;
        log("PostgreSQL killed (SIGKILL) and started again");
      }
    }
  }

  /**
   * SIGKILLs a worker that is running a stage (the stage must move to another worker and resume),
   * waiting up to 20 s for one to be busy; else one that was not killed in the last 20 s.
   */
  private void killWorker() {
    Optional<StageEvent.Started> shared = sharedRunToKill();
    if (shared.isPresent()) {
      killSharedRun(shared.get());
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Map<String, Set<String>> busy = busyWorkers();
    while (busy.isEmpty() && System.nanoTime() < deadline) {
      sleep(Duration.ofMillis(250));
      busy = busyWorkers();
    }
    List<String> candidates = new ArrayList<>(new TreeMap<>(busy).keySet());
    boolean midStage = !candidates.isEmpty();
    if (!midStage) {
      Instant recent = Instant.now().minusSeconds(20);
      stack.workers().stream()
          .map(QuarkusService::name)
          .filter(w -> lastKilled.getOrDefault(w, Instant.EPOCH).isBefore(recent))
          .forEach(candidates::add);
    }
    if (candidates.isEmpty()) {
      log("no worker to kill: every one was killed in the last 20 s");
      return;
    }
    String victim = candidates.get(random.nextInt(candidates.size()));
    stack.worker(victim).kill();
    lastKilled.put(victim, Instant.now());
    workerKills++;
    if (midStage) {
      killsMidStage++;
    }
    log(
        "%s killed (SIGKILL) %s",
        victim, midStage ? "while running " + busy.get(victim) : "while idle");
  }

  /**
   * The reproduction, under load: freezes (SIGSTOP) a worker that runs a stage of a job not
   * cancelled yet, waiting up to 20 s for one; cancels that job and waits until PostgreSQL says it
   * is cancelled (the frozen worker cannot see the cancel message); then SIGKILLs the worker, whose
   * supervisor starts it again. The restarted worker (or another of its pool) reads the uncommitted
   * request again, and must not run it: {@link Check} finds any stage of a cancelled job that
   * started after the cancel was recorded.
   */
  private void cancelDuringRestart() {
    Optional<StageEvent.Started> live = liveRunningStage();
    if (live.isEmpty()) {
      log("no running stage of a live job to cancel during a restart");
      return;
    }
    StageEvent.Started stage = live.get();
    QuarkusService worker = stack.worker(stage.workerId());
    signal(worker, "STOP");
    cancelled.add(stage.jobId());
    try {
      cancelAndAwaitRecord(stage.jobId());
    } finally {
      worker.kill();
    }
    lastKilled.put(worker.name(), Instant.now());
    restartCancels++;
    log(
        "%s frozen while running %s of job %s, the job cancelled, then the worker killed"
            + " (SIGKILL); the supervisor starts it again",
        worker.name(), stage.stage().code(), stage.jobId());
  }

  /**
   * Cancels a job while the worker that runs one of its stages is down: SIGKILLs a worker that runs
   * a stage of a job not cancelled yet (waiting up to 20 s for one), then cancels that job at once,
   * while the worker's supervisor is still starting it again (its back-off and boot take seconds).
   * The stage's request was never committed, so the restarted worker (or another of its pool) reads
   * it again after the cancel was recorded and must skip it; the run must leave flight, so the
   * pool's slot goes to other work. {@link Check} finds any stage of a cancelled job that started
   * after the cancel was recorded, and any run of a cancelled job still queued or in flight.
   */
  private void cancelWhileDown() {
    Optional<StageEvent.Started> live = liveRunningStage();
    if (live.isEmpty()) {
      log("no running stage of a live job to cancel while its worker is down");
      return;
    }
    StageEvent.Started stage = live.get();
    QuarkusService worker = stack.worker(stage.workerId());
    worker.kill();
    lastKilled.put(worker.name(), Instant.now());
    cancelled.add(stage.jobId());
    cancelAndAwaitRecord(stage.jobId());
    downCancels++;
    log(
        "%s killed (SIGKILL) while running %s of job %s, the job cancelled while it restarts"
            + " (cancel recorded: %s)",
        worker.name(), stage.stage().code(), stage.jobId(), cancelRecorded(stage.jobId()));
  }

  /**
   * A stage running for a job not cancelled yet, picked at random, waiting up to 20 s for one;
   * empty when none ran by then.
   */
  private Optional<StageEvent.Started> liveRunningStage() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    List<StageEvent.Started> running = runningStages(s -> !cancelled.contains(s.jobId()));
    while (running.isEmpty() && System.nanoTime() < deadline) {
      sleep(Duration.ofMillis(250));
      running = runningStages(s -> !cancelled.contains(s.jobId()));
    }
    return running.isEmpty()
        ? Optional.empty()
        : Optional.of(running.get(random.nextInt(running.size())));
  }

  /** Cancels {@code job} through the API and waits up to 15 s until PostgreSQL has recorded it. */
  private void cancelAndAwaitRecord(UUID job) {
    client.cancel(job);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!cancelRecorded(job) && System.nanoTime() < deadline) {
      sleep(Duration.ofMillis(100));
    }
  }

  /**
   * Single flight under worker kills: submits {@code --shared-reference-jobs} jobs with one
   * reference image (their concept inversions share one cache key) back to back, so that all are
   * planned while the first one's inversion is in flight and the others wait for it; then SIGKILLs
   * the worker running that inversion as soon as it starts (waiting up to 20 s), so the shared run
   * must move to another worker and resume while the others wait. {@link Check} finds a group whose
   * concept inversion succeeded more than once or ran more often than single flight allows, and a
   * waiter that did not take the shared output.
   */
  private void submitSharedReference(int group) {
    String reference = "chaos-" + options.seed() + "-group-" + group;
    List<UUID> members = new ArrayList<>();
    for (int i = 0; i < options.sharedReferenceJobs(); i++) {
      long seed = random.nextInt(1_000_000);
      UUID job = client.submit(parameters(), seed, reference);
      jobs.add(job);
      seeds.put(job, seed);
      members.add(job);
    }
    sharedReferenceGroups.put(group, members);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Optional<StageEvent.Started> running = sharedRunToKill();
    while (running.isEmpty() && System.nanoTime() < deadline) {
      sleep(Duration.ofMillis(100));
      running = sharedRunToKill();
    }
    if (running.isEmpty()) {
      log(
          "shared-reference group %d (%d jobs) submitted; its concept inversion did not start"
              + " within 20 s: the next planned worker kill that finds it running hits it",
          group, members.size());
      return;
    }
    killSharedRun(running.get());
  }

  /**
   * A running concept inversion of a shared-reference group whose shared run no kill hit yet
   * (planned worker kills take it before any other busy worker).
   */
  private Optional<StageEvent.Started> sharedRunToKill() {
    return runningStages(s -> s.stage() == Stage.CONCEPT_INVERSION && groupOf(s.jobId()) >= 0)
        .stream()
        .filter(s -> !sharedRunsHit.contains(groupOf(s.jobId())))
        .findFirst();
  }

  private int groupOf(UUID job) {
    return sharedReferenceGroups.entrySet().stream()
        .filter(e -> e.getValue().contains(job))
        .mapToInt(Map.Entry::getKey)
        .findFirst()
        .orElse(-1);
  }

  private void killSharedRun(StageEvent.Started stage) {
    int group = groupOf(stage.jobId());
    QuarkusService worker = stack.worker(stage.workerId());
    worker.kill();
    lastKilled.put(worker.name(), Instant.now());
    workerKills++;
    killsMidStage++;
    sharedRunKills++;
    sharedRunsHit.add(group);
    log(
        "%s killed (SIGKILL) while running the shared concept inversion of shared-reference group"
            + " %d (stage run %s of job %s)",
        worker.name(), group, stage.stageRunId(), stage.jobId());
  }

  private boolean cancelRecorded(UUID job) {
    try {
      return client.job(job).terminal();
    } catch (RuntimeException e) {
      return false; // PostgreSQL restarting
    }
  }

  private static void signal(QuarkusService worker, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(worker.pid())).start();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + worker.pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Stage attempts started since their worker's last kill and not ended, that match. */
  private List<StageEvent.Started> runningStages(Predicate<StageEvent.Started> condition) {
    return openStarts().stream()
        .filter(s -> s.occurredAt().isAfter(lastKilled.getOrDefault(s.workerId(), Instant.EPOCH)))
        .filter(condition)
        .sorted(Comparator.comparing(s -> s.stageRunId() + "/" + s.attempt()))
        .toList();
  }

  /** Workers with a stage attempt started since their last kill and not ended: its stages. */
  private Map<String, Set<String>> busyWorkers() {
    Map<String, Set<String>> busy = new HashMap<>();
    for (StageEvent.Started s : runningStages(s -> true)) {
      busy.computeIfAbsent(s.workerId(), w -> new HashSet<>()).add(s.stage().code());
    }
    return busy;
  }

  /** The latest start of every stage attempt with no outcome reported yet. */
  private List<StageEvent.Started> openStarts() {
    Map<String, StageEvent.Started> open = new HashMap<>();
    for (EventLog.Received received : upToDate()) {
      if (received.event() instanceof StageEvent.Started s) {
        open.put(s.stageRunId() + "/" + s.attempt(), s);
      } else if (received.event() instanceof StageEvent e
          && (e instanceof StageEvent.Succeeded
              || e instanceof StageEvent.Failed
              || e instanceof StageEvent.Cancelled
              || e instanceof StageEvent.Released)) {
        open.remove(e.stageRunId() + "/" + e.attempt());
      }
    }
    return List.copyOf(open.values());
  }

  /** The events so far: reads until a poll brings nothing new. */
  private List<EventLog.Received> upToDate() {
    List<EventLog.Received> log = events.received();
    while (true) {
      List<EventLog.Received> more = events.received();
      if (more.size() == log.size()) {
        return more;
      }
      log = more;
    }
  }

  /** How long after a job's cancel is recorded a stage of it may still start (see Check). */
  static final Duration START_MARGIN = Duration.ofSeconds(3);

  /** How long after a job's cancel is recorded a stage of it may still report a step. */
  static final Duration STEP_MARGIN = Duration.ofSeconds(10);

  /** The checks after the run, and the counts of the summary. */
  private final class Check {
    private final Map<UUID, JobRow> rows;
    private final List<String> violations;
    int resumes;
    long stepsSaved;
    long stepsAtRisk;
    int sharedConceptRuns;
    int sharedOutputs;

    /** Stage runs that other jobs waited for: kept for them when their own job was cancelled. */
    private final Set<UUID> waitedFor = new HashSet<>();

    Check(Map<UUID, JobRow> rows, List<String> violations) {
      this.rows = rows;
      this.violations = violations;
    }

    long count(String status) {
      return rows.values().stream().filter(r -> r.status().equals(status)).count();
    }

    void run() {
      List<EventLog.Received> log = drainEvents();
      checkSharedReferenceGroups(log);
      checkJobs();
      checkCompletions(log);
      checkResults(log);
      checkCancelledWorkStopped(log);
      checkCancelledRunsLeftFlight();
      countSavedSteps(log);
    }

    /**
     * No stage of a cancelled job started later than {@link #START_MARGIN} after PostgreSQL
     * recorded the cancel (a worker whose check ran just before the record may start, and is then
     * stopped by the cancel message), and none reported a step later than {@link #STEP_MARGIN}
     * after (the cancel message, or the worker's check of a running attempt every second, stops it
     * within one step).
     */
    private void checkCancelledWorkStopped(List<EventLog.Received> log) {
      for (EventLog.Received received : log) {
        // a quick stage's start may come inside its success
        StageEvent e = EventLog.startIn(received.event()).orElse(null);
        if (e == null && received.event() instanceof StageEvent.Progress progress) {
          e = progress;
        }
        if (e == null) {
          continue;
        }
        JobRow row = rows.get(e.jobId());
        if (row == null
            || !row.status().equals("cancelled")
            || row.finishedAt() == null
            || waitedFor.contains(e.stageRunId())) {
          continue; // a run others waited for is kept for them (docs/dispatch.md, single flight)
        }
        Duration after = Duration.between(row.finishedAt(), e.occurredAt());
        Duration margin = e instanceof StageEvent.Started ? START_MARGIN : STEP_MARGIN;
        if (after.compareTo(margin) > 0) {
          violations.add(
              String.format(
                  Locale.ROOT,
                  "%s of cancelled job %s attempt %d: %s %d ms after the cancel was recorded",
                  e.stage().code(),
                  e.jobId(),
                  e.attempt(),
                  e instanceof StageEvent.Started s
                      ? "started on " + s.workerId()
                      : "reported step " + ((StageEvent.Progress) e).step(),
                  after.toMillis()));
        }
      }
    }

    /**
     * No stage run of a cancelled job is still queued or in flight: with the dispatch queue, such a
     * run would hold a slot of its pool (or wait for one) for good.
     */
    private void checkCancelledRunsLeftFlight() {
      for (UUID job : jobs) {
        JobRow row = rows.get(job);
        if (row == null || !row.status().equals("cancelled")) {
          continue;
        }
        for (JobClient.StageRunRow run : client.stageRuns(job)) {
          if (Set.of("queued", "dispatched", "running").contains(run.status())) {
            violations.add(
                String.format(
                    "%s of cancelled job %s is still %s (attempt %d)",
                    run.stage(), job, run.status(), run.attempt()));
          }
        }
      }
    }

    /**
     * Per group of jobs with one reference: one concept inversion per job, all with one cache key;
     * at most one of them succeeded; every succeeded job's concept inversion either is that one or
     * was skipped with its output; and the group's runs that started on a worker are at most the
     * one owner plus what single flight allows besides: the one rerun after a failure ({@code
     * shared_rerun}) and the runs of jobs cancelled before their run could be shared.
     */
    private void checkSharedReferenceGroups(List<EventLog.Received> log) {
      Map<UUID, Set<UUID>> startedRuns = new HashMap<>();
      for (EventLog.Received received : log) {
        Optional<StageEvent.Started> start = EventLog.startIn(received.event());
        if (start.isPresent() && start.get().stage() == Stage.CONCEPT_INVERSION) {
          StageEvent.Started s = start.get();
          startedRuns.computeIfAbsent(s.jobId(), j -> new HashSet<>()).add(s.stageRunId());
        }
      }
      sharedReferenceGroups.forEach(
          (group, members) -> {
            List<JobClient.KeyedRunRow> runs = client.conceptRuns(members);
            runs.stream()
                .map(JobClient.KeyedRunRow::waitingFor)
                .filter(Objects::nonNull)
                .forEach(waitedFor::add);
            String name = "shared-reference group " + group;
            if (runs.size() != members.size()) {
              violations.add(
                  name
                      + ": "
                      + runs.size()
                      + " concept inversions for "
                      + members.size()
                      + " jobs");
              return;
            }
            Set<String> keys = new HashSet<>();
            runs.forEach(r -> keys.add(String.valueOf(r.cacheKey())));
            if (keys.size() != 1 || keys.contains("null")) {
              violations.add(name + ": concept inversions with cache keys " + keys + ", not one");
            }
            List<JobClient.KeyedRunRow> succeeded =
                runs.stream().filter(r -> r.status().equals("succeeded")).toList();
            if (succeeded.size() > 1) {
              violations.add(
                  name
                      + ": the one concept inversion succeeded "
                      + succeeded.size()
                      + " times: "
                      + succeeded.stream().map(JobClient.KeyedRunRow::id).toList());
            }
            String shared = succeeded.isEmpty() ? null : succeeded.get(0).outputKey();
            for (JobClient.KeyedRunRow run : runs) {
              JobRow row = rows.get(run.jobId());
              if (row == null || !row.status().equals("succeeded")) {
                continue;
              }
              if (run.status().equals("skipped")) {
                if (shared == null || !shared.equals(run.outputKey())) {
                  violations.add(
                      String.format(
                          "%s: job %s skipped its concept inversion with %s, not the shared"
                              + " output %s",
                          name, run.jobId(), run.outputKey(), shared));
                } else {
                  sharedOutputs++;
                }
              } else if (!run.status().equals("succeeded")) {
                violations.add(
                    String.format(
                        "%s: succeeded job %s has its concept inversion %s",
                        name, run.jobId(), run.status()));
              }
            }
            long ran =
                members.stream().mapToLong(j -> startedRuns.getOrDefault(j, Set.of()).size()).sum();
            long allowed =
                1
                    + runs.stream().filter(JobClient.KeyedRunRow::sharedRerun).count()
                    + runs.stream().filter(r -> r.status().equals("cancelled")).count();
            sharedConceptRuns += (int) ran;
            if (ran > allowed) {
              violations.add(
                  String.format(
                      "%s: %d concept inversions started on workers, single flight allows %d"
                          + " (runs: %s)",
                      name, ran, allowed, runs));
            }
          });
    }

    /** Every submitted job has its row, ended, and only cancelled jobs are cancelled. */
    private void checkJobs() {
      for (UUID job : jobs) {
        JobRow row = rows.get(job);
        if (row == null) {
          violations.add("job " + job + " was lost: no row in PostgreSQL");
        } else if (!row.terminal()) {
          violations.add("job " + job + " did not end: " + row.status());
        } else if (row.status().equals("failed")) {
          violations.add("job " + job + " failed: " + row.errorCode() + ": " + row.errorMessage());
        } else if (row.status().equals("cancelled") && !cancelled.contains(job)) {
          violations.add("job " + job + " was cancelled though nobody cancelled it");
        }
      }
    }

    /** Exactly one completion per job, in the job's event log and on the job-event topic. */
    private void checkCompletions(List<EventLog.Received> log) {
      client
          .completions(jobs)
          .forEach(
              (job, n) -> {
                if (n != 1) {
                  violations.add("job " + job + " has " + n + " job.completed rows in job_events");
                }
              });
      Map<UUID, Map<UUID, JobEvent.Completed>> published = new HashMap<>();
      for (EventLog.Received received : log) {
        if (received.event() instanceof JobEvent.Completed c) {
          published.computeIfAbsent(c.jobId(), j -> new HashMap<>()).put(c.eventId(), c);
        }
      }
      for (UUID job : jobs) {
        Map<UUID, JobEvent.Completed> completions = published.getOrDefault(job, Map.of());
        JobRow row = rows.get(job);
        if (completions.size() != 1) {
          violations.add(
              "job "
                  + job
                  + " has "
                  + completions.size()
                  + " distinct completion events on "
                  + Topics.JOB_EVENTS
                  + ": "
                  + completions.values().stream().map(c -> c.status().code()).toList());
        } else if (row != null
            && !completions.values().iterator().next().status().code().equals(row.status())) {
          violations.add(
              "job "
                  + job
                  + " is "
                  + row.status()
                  + " in PostgreSQL but its completion event says "
                  + completions.values().iterator().next().status().code());
        }
      }
    }

    /**
     * Every succeeded job's result is in the blob store, alone under its output prefix, and equals
     * what an uninterrupted run computes; its scores too. The expectation is validated against the
     * jobs whose fusion did run uninterrupted.
     */
    private void checkResults(List<EventLog.Received> log) {
      Map<UUID, JobEvent.Completed> completed = new HashMap<>();
      Map<UUID, Integer> fusionAttempts = new HashMap<>();
      for (EventLog.Received received : log) {
        if (received.event() instanceof JobEvent.Completed c) {
          completed.put(c.jobId(), c);
        } else if (EventLog.startIn(received.event())
            .filter(s -> s.stage() == Stage.FUSION)
            .isPresent()) {
          fusionAttempts.merge(received.event().jobId(), 1, Integer::sum);
        }
      }
      int uninterruptedChecked = 0;
      for (UUID job : jobs) {
        JobRow row = rows.get(job);
        if (row == null || !row.status().equals("succeeded")) {
          if (row != null && row.status().equals("cancelled") && row.resultKey() != null) {
            violations.add("cancelled job " + job + " has a result " + row.resultKey());
          }
          continue;
        }
        String key = BlobKeys.result(job);
        if (!key.equals(row.resultKey())) {
          violations.add("job " + job + " result key " + row.resultKey() + ", expected " + key);
          continue;
        }
        List<String> outputs = stack.blobs().list(BlobKeys.outputPrefix(job));
        if (!outputs.equals(List.of(key))) {
          violations.add("job " + job + " has outputs " + outputs + ", expected only " + key);
          continue;
        }
        long seed = seeds.get(job);
        String expected = Long.toString(uninterrupted(seed, Stage.FUSION, FUSION_STEPS));
        String actual = client.readText(key);
        if (!expected.equals(actual)) {
          violations.add(
              "job "
                  + job
                  + " (seed "
                  + seed
                  + ") result "
                  + actual
                  + ", uninterrupted "
                  + expected);
        } else if (fusionAttempts.getOrDefault(job, 0) == 1) {
          uninterruptedChecked++;
        }
        JobEvent.Completed c = completed.get(job);
        Scores scores = expectedScores(uninterrupted(seed, Stage.SCORING, SCORING_STEPS));
        if (c != null && !scores.equals(c.scores())) {
          violations.add("job " + job + " scores " + c.scores() + ", uninterrupted " + scores);
        }
      }
      if (count("succeeded") > 0 && uninterruptedChecked == 0) {
        violations.add(
            "no succeeded job ran its fusion in one attempt, so the expected results are unchecked"
                + " against an uninterrupted run");
      }
    }

    /**
     * Per resumed attempt: the steps the earlier attempts of its stage run had done (what a restart
     * from scratch redoes) and the step it resumed from (what the checkpoint saved).
     */
    private void countSavedSteps(List<EventLog.Received> log) {
      Map<UUID, Map<Integer, Integer>> reached = new HashMap<>();
      Map<String, StageEvent.Started> starts = new LinkedHashMap<>();
      for (EventLog.Received received : log) {
        if (received.event() instanceof StageEvent.Progress p) {
          reached
              .computeIfAbsent(p.stageRunId(), r -> new HashMap<>())
              .merge(p.attempt(), p.step(), Math::max);
        } else if (received.event() instanceof StageEvent.Checkpointed p) {
          reached
              .computeIfAbsent(p.stageRunId(), r -> new HashMap<>())
              .merge(p.attempt(), p.step(), Math::max);
        } else {
          EventLog.startIn(received.event())
              .ifPresent(s -> starts.putIfAbsent(s.stageRunId() + "/" + s.attempt(), s));
        }
      }
      for (StageEvent.Started s : starts.values()) {
        int before =
            reached.getOrDefault(s.stageRunId(), Map.of()).entrySet().stream()
                .filter(e -> e.getKey() < s.attempt())
                .mapToInt(Map.Entry::getValue)
                .max()
                .orElse(0);
        int from = s.resumedFromStep() == null ? 0 : s.resumedFromStep();
        if (from > 0) {
          resumes++;
        }
        stepsSaved += from;
        stepsAtRisk += Math.max(before, from);
      }
      if (killsMidStage > 0 && resumes == 0) {
        violations.add(
            killsMidStage
                + " workers were killed mid-stage but no stage resumed from a checkpoint");
      }
    }

    /** Reads the event topics until nothing new arrives for two seconds. */
    private List<EventLog.Received> drainEvents() {
      List<EventLog.Received> log = events.received();
      long quietSince = System.nanoTime();
      while (System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(2)) {
        List<EventLog.Received> more = events.received();
        if (more.size() != log.size()) {
          quietSince = System.nanoTime();
        }
        log = more;
      }
      return log;
    }
  }

  /**
   * What an uninterrupted simulated stage ends with (gpu-worker/simulated's SimulatedStage: a state
   * seeded from the job's seed and the stage, mixed once per step). The suite checks this
   * expectation against the jobs whose fusion ran in one attempt.
   */
  static long uninterrupted(long seed, Stage stage, int steps) {
    long state = seed * 31 + stage.ordinal();
    for (int step = 0; step < steps; step++) {
      long z = state + 0x9E3779B97F4A7C15L * (step + 1);
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      state = z ^ (z >>> 31);
    }
    return state;
  }

  /** The simulated scoring stage's scores for its final state. */
  static Scores expectedScores(long state) {
    return new Scores((state & 0xFFFF) / 65536.0, (state >>> 48) / 1000.0);
  }

  private void log(String format, Object... args) {
    out.println("chaos: " + now() + " " + String.format(Locale.ROOT, format, args));
  }

  private String now() {
    return String.format(Locale.ROOT, "[%6.1f s]", (System.nanoTime() - begin) / 1e9);
  }

  private static Map<String, String> orderedMap(String... keysAndValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  private static void sleepUntil(long nanoTime) {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      sleep(Duration.ofNanos(wait));
    }
  }

  private static void sleep(Duration d) {
    try {
      TimeUnit.NANOSECONDS.sleep(d.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Command line options. */
  record Options(
      int jobs,
      int workerKills,
      int orchestratorRestarts,
      int brokerRestarts,
      int postgresRestarts,
      int cancels,
      int restartCancels,
      int downCancels,
      int sharedReferenceGroups,
      int sharedReferenceJobs,
      long seed,
      int workersPerPool,
      int stepMillis,
      int submitIntervalMillis,
      int timeoutSeconds,
      Path dataDir,
      boolean help) {

    static Options parse(String[] args) {
      Map<String, String> values =
          CommandLineFlags.parse(
              args,
              Set.of(
                  "--jobs",
                  "--worker-kills",
                  "--orchestrator-restarts",
                  "--broker-restarts",
                  "--postgres-restarts",
                  "--cancels",
                  "--restart-cancels",
                  "--down-cancels",
                  "--shared-reference-groups",
                  "--shared-reference-jobs",
                  "--seed",
                  "--workers-per-pool",
                  "--step-ms",
                  "--submit-interval-ms",
                  "--timeout-seconds",
                  "--data-dir"),
              Set.of());
      long seed =
          values.containsKey("--seed")
              ? CommandLineFlags.whole(values, "--seed", 0, Long.MIN_VALUE)
              : new Random().nextInt(1_000_000);
      return new Options(
          (int) CommandLineFlags.whole(values, "--jobs", 50, 1),
          (int) CommandLineFlags.whole(values, "--worker-kills", 10, 0),
          (int) CommandLineFlags.whole(values, "--orchestrator-restarts", 2, 0),
          (int) CommandLineFlags.whole(values, "--broker-restarts", 2, 0),
          (int) CommandLineFlags.whole(values, "--postgres-restarts", 1, 0),
          (int) CommandLineFlags.whole(values, "--cancels", 3, 0),
          (int) CommandLineFlags.whole(values, "--restart-cancels", 2, 0),
          (int) CommandLineFlags.whole(values, "--down-cancels", 2, 0),
          (int) CommandLineFlags.whole(values, "--shared-reference-groups", 2, 0),
          (int) CommandLineFlags.whole(values, "--shared-reference-jobs", 4, 2),
          seed,
          (int) CommandLineFlags.whole(values, "--workers-per-pool", 2, 1),
          (int) CommandLineFlags.whole(values, "--step-ms", 150, 1),
          (int) CommandLineFlags.whole(values, "--submit-interval-ms", 1000, 1),
          (int) CommandLineFlags.whole(values, "--timeout-seconds", 600, 1),
          CommandLineFlags.path(values, "--data-dir"),
          values.containsKey(CommandLineFlags.HELP));
    }
  }
}
