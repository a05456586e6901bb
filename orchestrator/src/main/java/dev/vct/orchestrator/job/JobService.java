package dev.vct.orchestrator.job;

import dev.vct.orchestrator.config.OrchestratorConfig;
import dev.vct.orchestrator.dispatch.Dispatcher;
import dev.vct.orchestrator.dispatch.UnwrittenRun;
import dev.vct.orchestrator.graph.Backoff;
import dev.vct.orchestrator.graph.StagePlan;
import dev.vct.orchestrator.metrics.OrchestratorMetrics;
import dev.vct.orchestrator.outbox.Outbox;
import dev.vct.storage.blob.BlobKeys;
import dev.vct.storage.embedding.Embedding;
import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.event.JobSubmitted;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.event.Topics;
import dev.vct.storage.inbox.ProcessedEvent;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.Scores;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import dev.vct.storage.persistence.Clock;
import dev.vct.storage.persistence.InList;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.TransactionSynchronizationRegistry;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.hibernate.LockMode;
import org.hibernate.Session;
import org.hibernate.SessionCheckMode;
import org.hibernate.engine.spi.EntityEntry;
import org.hibernate.engine.spi.PersistenceContext;
import org.hibernate.engine.spi.SessionImplementor;
import org.hibernate.engine.spi.Status;
import org.hibernate.persister.entity.EntityPersister;
import org.hibernate.query.NativeQuery;
import org.jboss.logging.Logger;

/**
 * The only writer of job status and stage runs. Every method is one transaction that first locks
 * the rows of the jobs it changes (several in id order), so the submit consumer, the stage-event
 * consumer, the cancel consumer and the sweeper (on any number of replicas) serialize per job, and
 * a job reaches exactly one terminal state. Kafka records and job events leave through the {@link
 * Outbox} of the same transaction, written by one statement at its end ({@link Outbox#flush}).
 */
@ApplicationScoped
public class JobService {
  private static final Logger LOG = Logger.getLogger(JobService.class);

  /** This service's name in the processed-event log. */
  static final String CONSUMER = "orchestrator";

  /** A rough share of the whole job's work per stage, for the progress fraction clients see. */
  private static final Map<Stage, Double> WEIGHT =
      Map.of(
          Stage.CONTENT_INVERSION, 0.40,
          Stage.CONCEPT_INVERSION, 0.40,
          Stage.FUSION, 0.15,
          Stage.SCORING, 0.05);

  /** How often a stop of one superseded attempt may be sent again (see {@link #stopSuperseded}). */
  static final Duration SUPERSEDED_STOP_EVERY = Duration.ofSeconds(10);

  /** When this replica last sent a stop per superseded attempt, for {@link #stopSuperseded}. */
  private final Map<StageRunRef, Instant> supersededStops = new ConcurrentHashMap<>();

  @Inject OrchestratorConfig config;
  @Inject Outbox outbox;
  @Inject OrchestratorMetrics metrics;
  @Inject Dispatcher dispatcher;
  @Inject TransactionSynchronizationRegistry transactions;

  /** The key of {@link #knownRuns} among the transaction's resources. */
  private static final Object KNOWN_RUNS = new Object();

  /** The key of {@link #planned} among the transaction's resources. */
  private static final Object PLANNED_RUNS = new Object();

  /**
   * Plans the submitted jobs, in one transaction, except submissions handled before. The jobs' rows
   * are locked in id order, as {@link #stageEvents} does, so that two batches never wait for each
   * other in a cycle.
   */
  @Transactional
  public void submitted(List<JobSubmitted> submissions) {
    Set<UUID> fresh =
        ProcessedEvent.markProcessed(
            CONSUMER, submissions.stream().map(JobSubmitted::eventId).toList());
    List<UUID> jobIds =
        submissions.stream()
            .filter(s -> fresh.remove(s.eventId())) // a submission delivered twice counts once
            .map(JobSubmitted::jobId)
            .distinct()
            .toList();
    Map<UUID, Job> jobs = lockJobs(jobIds);
    Map<UUID, Map<Stage, StageRun>> planned = runsOf(jobs.keySet());
    List<Job> toPlan = jobs.values().stream().filter(job -> !planned.containsKey(job.id)).toList();
    // every key the batch may claim, in one order, then the batch's lookups
    SingleFlight.lock(toPlan.stream().flatMap(job -> cacheKeys(job).stream()).toList());
    Lookups lookups = Lookups.of(toPlan);
    for (UUID jobId : jobIds) {
      Job job = jobs.get(jobId);
      if (job == null) {
        LOG.warnf("submitted job %s does not exist; nothing to plan", jobId);
      } else if (!planned.containsKey(jobId)) {
        planIn(job, lookups);
      }
    }
    dispatcher.dispatchNow();
    persistPlanned();
    outbox.flush();
  }

  /** Plans a queued job that the sweeper found without stage runs (its submit was lost or late). */
  @Transactional
  public void plan(UUID jobId) {
    Job job = lockJob(jobId).orElse(null);
    if (job != null && StageRun.count("jobId", jobId) == 0) {
      SingleFlight.lock(cacheKeys(job));
      planIn(job, Lookups.of(List.of(job)));
      persistPlanned();
    }
    outbox.flush();
  }

  /**
   * Applies workers' reports about attempts of stage runs, in their order, in one transaction: one
   * round trip each to record them in the processed-event log, to lock their jobs (in id order) and
   * to read those jobs' stage runs, then one write of everything they caused. Reports handled
   * before are skipped. A batch is what one poll of the topic returned, so under load a job's
   * {@code started} and {@code succeeded} often arrive together and take one transaction, not two
   * that wait for each other on the job's row.
   */
  @Transactional
  public void stageEvents(List<StageEvent> events) {
    Set<UUID> fresh =
        ProcessedEvent.markProcessed(CONSUMER, events.stream().map(StageEvent::eventId).toList());
    // remove: a report delivered twice within the batch is applied once
    List<StageEvent> toApply = events.stream().filter(e -> fresh.remove(e.eventId())).toList();
    Map<UUID, Job> jobs = lockJobs(toApply.stream().map(StageEvent::jobId).toList());
    Map<UUID, Map<Stage, StageRun>> runs = runsOf(jobs.keySet());
    for (StageEvent event : toApply) {
      apply(event, jobs.get(event.jobId()), runs.getOrDefault(event.jobId(), Map.of()));
    }
    dispatcher.dispatchNow();
    outbox.flush();
  }

  private void apply(StageEvent event, Job job, Map<Stage, StageRun> runs) {
    StageRun run =
        runs.values().stream()
            .filter(r -> r.id.equals(event.stageRunId()))
            .findFirst()
            .orElse(null);
    if (job == null || run == null) {
      LOG.warnf(
          "ignoring %s for unknown job %s / stage run %s",
          type(event), event.jobId(), event.stageRunId());
      return;
    }
    if ((job.status.terminal() && !keptForWaiters(job, run))
        || !run.status.inFlight()
        || !run.isCurrent(event.stageRunId(), event.attempt())) {
      // A fenced-off attempt (its lease expired and the stage was re-dispatched), a finished
      // stage or a finished job (unless other jobs wait for this run): the event changes nothing.
      metrics.staleEvent(run.stage);
      LOG.debugf(
          "stale %s for %s attempt %d (current attempt %d, %s)",
          type(event), run.stage.code(), event.attempt(), run.attempt, run.status.code());
      if (event.attempt() < run.attempt && stillRunning(event)) {
        stopSuperseded(job, run, event.run());
      }
      return;
    }
    Instant now = Clock.now();
    if (event instanceof StageEvent.Started started) {
      started(job, run, started.asStart(), now, now);
    } else if (event instanceof StageEvent.Progress progress) {
      alive(run, now);
      if (run.progressStep != null && progress.step() <= run.progressStep) {
        // applied after a later report of the same attempt: nothing new to tell
        return;
      }
      run.progressStep = progress.step();
      run.progressTotal = progress.totalSteps();
      run.progressLoss = progress.loss();
      if (job.status.terminal()) {
        return; // kept for waiters: the ended job's log stays closed
      }
      outbox.addJobEvent(
          JobEvent.Progress.of(
              job.id,
              job.tenantId,
              run.stage,
              progress.step(),
              progress.totalSteps(),
              progress.loss(),
              fraction(runs, run.stage, (double) progress.step() / progress.totalSteps())));
    } else if (event instanceof StageEvent.Heartbeat) {
      alive(run, now);
    } else if (event instanceof StageEvent.Checkpointed checkpointed) {
      if (run.checkpointStep == null || checkpointed.step() > run.checkpointStep) {
        run.checkpointKey = checkpointed.checkpointKey();
        run.checkpointStep = checkpointed.step();
      }
      alive(run, now);
    } else if (event instanceof StageEvent.Released released) {
      if (released.checkpointKey() != null) {
        run.checkpointKey = released.checkpointKey();
        run.checkpointStep = released.checkpointStep();
      }
      metrics.released(run.stage);
      enqueue(job, run);
    } else if (event instanceof StageEvent.Succeeded succeeded) {
      StageEvent.AttemptStart start = succeeded.unreportedStart();
      if (start != null && run.status != StageRunStatus.RUNNING) {
        // a quick stage's worker sent no started: apply it first, at the worker's start time
        started(job, run, start, within(start.startedAt(), run.dispatchedAt, now), now);
      }
      succeeded(job, run, runs, succeeded, now);
    } else if (event instanceof StageEvent.Failed failed) {
      failed(job, run, failed, now);
    } else if (event instanceof StageEvent.Cancelled) {
      if (keptForWaiters(job, run)) {
        // its worker had heard of the job's end before the run was kept: the waiters take over
        leaveFlight(run, StageRunStatus.CANCELLED, now);
        return;
      }
      // Workers stop a stage only on a cancel request, so the job is being cancelled.
      finishCancelled(job, now);
    }
  }

  /**
   * The run's current attempt started on a worker: from a {@link StageEvent.Started}, or from the
   * start a {@link StageEvent.Succeeded} carries when its worker sent none.
   *
   * @param startedAt the run's start as recorded: when the orchestrator heard of it, or for a
   *     carried start the worker's start time
   */
  private void started(
      Job job, StageRun run, StageEvent.AttemptStart start, Instant startedAt, Instant now) {
    boolean resumed = start.resumedFromStep() != null;
    metrics.stageStarted(
        run.stage, Duration.between(run.dispatchedAt, start.startedAt()).abs(), resumed);
    run.status = StageRunStatus.RUNNING;
    run.startedAt = startedAt;
    // a fresh attempt counts from zero again; a resumed one from its checkpoint
    run.progressStep = start.resumedFromStep();
    alive(run, now);
    announce(job, run);
  }

  /** {@code at} moved into [{@code from}, {@code to}]: another host's clock may be off a little. */
  private static Instant within(Instant at, Instant from, Instant to) {
    if (from != null && at.isBefore(from)) {
      return from.isAfter(to) ? to : from;
    }
    return at.isAfter(to) ? to : at;
  }

  /** Whether a worker sends {@code event} while it is still working on the attempt. */
  private static boolean stillRunning(StageEvent event) {
    return event instanceof StageEvent.Started
        || event instanceof StageEvent.Progress
        || event instanceof StageEvent.Heartbeat;
  }

  /**
   * Tells the workers to stop {@code superseded}, an attempt older than the run's current one that
   * a worker still reports on: one that read the fenced attempt's request late, or that froze and
   * came back. Otherwise it would run to the end for nothing, and the next attempt's request,
   * behind it in the same partition, would wait for it. At most one stop per superseded attempt
   * every {@link #SUPERSEDED_STOP_EVERY} on this replica: a heartbeat every few seconds must not
   * become a cancel every few seconds, but a stop that was lost is sent again.
   */
  private void stopSuperseded(Job job, StageRun run, StageRunRef superseded) {
    Instant now = Clock.now();
    Instant resendFrom = now.minus(SUPERSEDED_STOP_EVERY);
    supersededStops.values().removeIf(sent -> sent.isBefore(resendFrom));
    if (supersededStops.putIfAbsent(superseded, now) != null) {
      return;
    }
    LOG.infof(
        "%s attempt %d of job %s still reports after attempt %d was dispatched; stopping it",
        run.stage.code(), superseded.attempt(), job.id, run.attempt);
    outbox.add(
        Topics.JOB_CANCEL,
        CancelRequest.ofAttempt(
            superseded,
            job.tenantId,
            "attempt "
                + superseded.attempt()
                + " of "
                + run.stage.code()
                + " was superseded by attempt "
                + run.attempt));
  }

  /** Cancels a job that is not finished yet; a finished job stays as it is. */
  @Transactional
  public void cancel(UUID jobId) {
    lockJob(jobId)
        .filter(job -> !job.status.terminal())
        .ifPresent(job -> finishCancelled(job, Clock.now()));
    outbox.flush();
  }

  /** A cancel request from the gateway, recorded in the processed-event log. */
  @Transactional
  public void cancelRequested(UUID eventId, UUID jobId) {
    if (ProcessedEvent.markProcessed(CONSUMER, eventId)) {
      lockJob(jobId)
          .filter(job -> !job.status.terminal())
          .ifPresent(job -> finishCancelled(job, Clock.now()));
    }
    outbox.flush();
  }

  /**
   * The lease of {@code attempt} of the stage run ran out without a heartbeat: fence that attempt
   * and dispatch the next one (resuming from the last checkpoint), or fail the job when the stage
   * used up its attempts.
   */
  @Transactional
  public void leaseExpired(UUID stageRunId, int attempt) {
    expireLease(stageRunId, attempt);
    outbox.flush();
  }

  private void expireLease(UUID stageRunId, int attempt) {
    LockedRun locked = lockedRun(stageRunId);
    if (locked == null) {
      return;
    }
    Job job = locked.job();
    StageRun run = locked.run();
    Instant now = Clock.now();
    if ((job.status.terminal() && !keptForWaiters(job, run))
        || !run.status.inFlight()
        || run.attempt != attempt
        || run.leaseExpiresAt == null
        || run.leaseExpiresAt.isAfter(now)) {
      return;
    }
    LOG.infof(
        "lease of %s attempt %d of job %s expired (last heartbeat %s)",
        run.stage.code(), attempt, job.id, run.lastHeartbeatAt);
    if (keptForWaiters(job, run)) {
      // its job ended: the first waiter reruns it
      run.errorCode = "stage_lease_expired";
      run.errorMessage = run.stage.code() + " lost its worker after its job ended";
      run.errorRetryable = true;
      leaveFlight(run, StageRunStatus.FAILED, now);
    } else if (run.retryCount + 1 < maxAttempts(run.stage)) {
      run.retryCount++;
      metrics.retry(run.stage, "lease_expired");
      enqueue(job, run);
    } else {
      run.status = StageRunStatus.FAILED;
      run.errorCode = "stage_lease_expired";
      run.errorMessage =
          run.stage.code()
              + " lost its worker (no heartbeat for "
              + config.lease().toSeconds()
              + " s) on all "
              + maxAttempts(run.stage)
              + " attempts";
      run.errorRetryable = true;
      run.finishedAt = now;
      run.leaseExpiresAt = null;
      leftFlight(run);
      announce(job, run);
      finishFailed(job, run.errorCode, run.errorMessage, now);
    }
  }

  /** Dispatches the next attempt of a stage run whose retry back-off has passed. */
  @Transactional
  public void retryDue(UUID stageRunId) {
    retryIfDue(stageRunId);
    outbox.flush();
  }

  private void retryIfDue(UUID stageRunId) {
    LockedRun locked = lockedRun(stageRunId);
    if (locked == null) {
      return;
    }
    Job job = locked.job();
    StageRun run = locked.run();
    if (job.status == JobStatus.RUNNING
        && run.status == StageRunStatus.PENDING
        && run.nextAttemptAt != null
        && !run.nextAttemptAt.isAfter(Clock.now())) {
      enqueue(job, run);
    }
  }

  /**
   * What planning reads for a batch of jobs, under their keys' single-flight locks: the runs that
   * hold their inversions' flights, then the cached embeddings of the keys without one, in one
   * statement each. The flight before the cache: a run that succeeds in between is seen by the one
   * or the other (it catalogues its embedding in the transaction that ends its flight).
   */
  private record Lookups(Map<String, StageRun> owners, Map<Embedding.Key, Embedding> cached) {
    static Lookups of(Collection<Job> jobs) {
      List<InversionKeys> keys =
          jobs.stream()
              .filter(job -> job.status == JobStatus.QUEUED && !job.cancelRequested)
              .flatMap(
                  job ->
                      Stream.of(Stage.values())
                          .filter(InversionKeys::cacheable)
                          .map(stage -> InversionKeys.of(job, stage)))
              .toList();
      if (keys.isEmpty()) {
        return new Lookups(Map.of(), Map.of());
      }
      Map<String, StageRun> owners =
          SingleFlight.owners(keys.stream().map(InversionKeys::blobKey).toList());
      Map<Embedding.Key, Embedding> cached =
          Embedding.lookup(
              keys.stream()
                  .filter(key -> !owners.containsKey(key.blobKey()))
                  .map(InversionKeys::catalogueKey)
                  .toList());
      return new Lookups(owners, cached);
    }
  }

  /**
   * Plans {@code job}, locked and without stage runs, its keys' single-flight locks taken and
   * looked up ({@code lookups}): cached inversions, first dispatches. The new runs stay in memory
   * ({@link #planned}) until the caller persists them ({@link #persistPlanned}), after its dispatch
   * rounds: a run queued and sent in the same transaction is inserted once, as {@code dispatched},
   * instead of inserted {@code pending} and then updated twice.
   */
  private void planIn(Job job, Lookups lookups) {
    if (job.status != JobStatus.QUEUED) {
      return;
    }
    Instant now = Clock.now();
    if (job.cancelRequested) {
      finishCancelled(job, now);
      return;
    }
    job.status = JobStatus.RUNNING;
    job.startedAt = now;
    outbox.addJobEvent(
        JobEvent.StatusChanged.of(job.id, job.tenantId, JobStatus.QUEUED, JobStatus.RUNNING));
    Map<Stage, StageRun> runs = new EnumMap<>(Stage.class);
    for (Stage stage : Stage.values()) {
      StageRun run = StageRun.pending(job.id, stage);
      if (InversionKeys.cacheable(stage)) {
        InversionKeys keys = InversionKeys.of(job, stage);
        run.cacheKey = keys.blobKey();
        // the flight before the cache; a run planned earlier in this transaction first (it is
        // not in the database yet)
        Optional<StageRun> owner =
            plannedOwner(run.cacheKey)
                .or(() -> Optional.ofNullable(lookups.owners().get(run.cacheKey)));
        if (owner.isPresent()) {
          run.status = StageRunStatus.WAITING;
          run.waitingFor = owner.get().id;
          metrics.singleFlight(keys.kind(), "waited");
          LOG.debugf(
              "%s of job %s waits for the identical run %s of job %s",
              stage.code(), job.id, owner.get().id, owner.get().jobId);
          planned().add(run);
          runs.put(stage, run);
          announce(job, run);
          continue;
        }
        Optional<Embedding> cached = Optional.ofNullable(lookups.cached().get(keys.catalogueKey()));
        metrics.embeddingLookup(keys.kind(), cached.isPresent());
        cached.ifPresent(
            embedding -> {
              run.status = StageRunStatus.SKIPPED;
              run.outputKey = embedding.blobKey;
              run.skipReason =
                  "reused the cached "
                      + keys.kind().code()
                      + " embedding "
                      + embedding.blobKey
                      + " (same input, model and parameters)";
              run.finishedAt = now;
            });
      }
      planned().add(run);
      runs.put(stage, run);
      if (run.status == StageRunStatus.SKIPPED) {
        announce(job, run);
      }
    }
    knownRuns().put(job.id, runs);
    advance(job, runs, now);
  }

  /** The stage runs this transaction planned and has not persisted yet, in planning order. */
  private List<StageRun> planned() {
    @SuppressWarnings("unchecked")
    List<StageRun> planned = (List<StageRun>) transactions.getResource(PLANNED_RUNS);
    if (planned == null) {
      planned = new ArrayList<>();
      transactions.putResource(PLANNED_RUNS, planned);
    }
    return planned;
  }

  /** The run this transaction planned that holds {@code cacheKey}'s flight, if any. */
  private Optional<StageRun> plannedOwner(String cacheKey) {
    return planned().stream()
        .filter(r -> cacheKey.equals(r.cacheKey) && StageRun.IN_FLIGHT_FOR_KEY.contains(r.status))
        .findFirst();
  }

  /**
   * Persists the runs this transaction planned, as they are now (after its dispatch rounds): each
   * is inserted once, at the commit.
   */
  private void persistPlanned() {
    List<StageRun> planned = planned();
    planned.forEach(run -> run.persist());
    planned.clear();
  }

  private void succeeded(
      Job job, StageRun run, Map<Stage, StageRun> runs, StageEvent.Succeeded event, Instant now) {
    Optional<String> missing = missingOutput(run.stage, event);
    if (missing.isPresent()) {
      run.errorCode = "bad_stage_output";
      run.errorMessage = missing.get();
      run.errorRetryable = false;
      if (keptForWaiters(job, run)) {
        leaveFlight(run, StageRunStatus.FAILED, now);
        return;
      }
      run.status = StageRunStatus.FAILED;
      run.finishedAt = now;
      run.leaseExpiresAt = null;
      leftFlight(run);
      announce(job, run);
      finishFailed(job, run.errorCode, run.errorMessage, now);
      return;
    }
    run.status = StageRunStatus.SUCCEEDED;
    leftFlight(run);
    run.finishedAt = now;
    run.leaseExpiresAt = null;
    run.outputKey = mainOutput(run.stage, event);
    Instant began = run.startedAt != null ? run.startedAt : run.dispatchedAt;
    metrics.stageSucceeded(run.stage, Duration.between(began, now));
    if (InversionKeys.cacheable(run.stage)) {
      // also the output of the runs that wait for this one (single flight)
      catalogue(InversionKeys.of(job, run.stage), run.outputKey, event.metrics());
    }
    if (job.status.terminal()) {
      return; // kept for waiters after its job ended: they take its output, the job stays ended
    }
    if (run.stage == Stage.SCORING) {
      job.scores = new Scores(event.metrics().get("lpips"), event.metrics().get("brisque"));
    }
    announce(job, run);
    advance(job, runs, now);
  }

  private void failed(Job job, StageRun run, StageEvent.Failed event, Instant now) {
    leftFlight(run);
    run.errorCode = event.code();
    run.errorMessage = event.message();
    run.errorRetryable = event.retryable();
    run.leaseExpiresAt = null;
    if (keptForWaiters(job, run)) {
      // its job ended, so it has no retries of its own: the first waiter reruns it
      leaveFlight(run, StageRunStatus.FAILED, now);
      return;
    }
    if (event.retryable() && run.retryCount + 1 < maxAttempts(run.stage)) {
      run.retryCount++;
      run.status = StageRunStatus.PENDING;
      run.nextAttemptAt = now.plus(backoff().delayBeforeRetry(run.retryCount));
      metrics.retry(run.stage, "failure");
      LOG.infof(
          "%s of job %s failed (%s: %s); retry %d at %s",
          run.stage.code(),
          job.id,
          event.code(),
          event.message(),
          run.retryCount,
          run.nextAttemptAt);
      announce(job, run);
      return;
    }
    run.status = StageRunStatus.FAILED;
    run.finishedAt = now;
    announce(job, run);
    finishFailed(job, event.code(), event.message(), now);
  }

  /** Dispatches every stage whose inputs are ready; finishes the job when all are done. */
  private void advance(Job job, Map<Stage, StageRun> runs, Instant now) {
    StagePlan plan =
        new StagePlan(
            runs.values().stream().collect(Collectors.toMap(r -> r.stage, r -> r.status)));
    if (plan.complete()) {
      finishSucceeded(job, runs, now);
      return;
    }
    for (Stage stage : plan.ready()) {
      StageRun run = runs.get(stage);
      if (run.nextAttemptAt == null) {
        enqueue(job, run);
      }
    }
  }

  /**
   * Queues the next attempt of {@code run}: a worker's events for older attempts are now stale, and
   * the {@link Dispatcher} sends the request when the run's turn comes on its worker pool.
   */
  private void enqueue(Job job, StageRun run) {
    run.attempt++;
    run.status = StageRunStatus.QUEUED;
    run.queuedAt = Clock.now();
    run.nextAttemptAt = null;
    run.leaseExpiresAt = null;
    announce(job, run);
    dispatcher.wakeAfterCommit(run.stage);
  }

  /**
   * Sends the request of {@code run}'s queued attempt to its stage's workers. Only the {@link
   * Dispatcher} calls it, in a transaction that holds the job's row lock and a slot of the run's
   * pool; {@code runs} are the job's stage runs (the next stages' inputs are their outputs).
   */
  public void send(Job job, StageRun run, Map<Stage, StageRun> runs) {
    if (run.status != StageRunStatus.QUEUED) {
      throw new IllegalStateException(
          run.stage.code() + " of job " + job.id + " is " + run.status.code() + ", not queued");
    }
    Instant now = Clock.now();
    run.status = StageRunStatus.DISPATCHED;
    run.dispatchedAt = now;
    if (run.queuedAt != null) { // kept: the dispatched attempt waited from queued_at to now
      metrics.stageDispatched(run.stage, Duration.between(run.queuedAt, now));
    }
    // The lease starts when a worker reports; a request may wait in its topic behind long stages.
    run.leaseExpiresAt = null;
    StageRequest request =
        StageRequest.of(
            new StageRunRef(job.id, run.id, run.stage, run.attempt),
            inputs(job, run.stage, runs),
            outputs(job, run.stage),
            job.parameters,
            run.checkpointKey,
            job.modelId,
            job.seed,
            now.plus(config.requestTtl()));
    outbox.add(Topics.forStage(run.stage), request);
    announce(job, run);
  }

  private Map<BlobRole, String> inputs(Job job, Stage stage, Map<Stage, StageRun> runs) {
    return switch (stage) {
      case CONTENT_INVERSION -> Map.of(BlobRole.SOURCE_IMAGE, job.sourceKey);
      case CONCEPT_INVERSION -> Map.of(BlobRole.REFERENCE_IMAGE, job.referenceKey);
      case FUSION ->
          Map.of(
              BlobRole.SOURCE_IMAGE, job.sourceKey,
              BlobRole.CONTENT_EMBEDDING, runs.get(Stage.CONTENT_INVERSION).outputKey,
              BlobRole.CONCEPT_EMBEDDING, runs.get(Stage.CONCEPT_INVERSION).outputKey);
      case SCORING ->
          Map.of(
              BlobRole.SOURCE_IMAGE, job.sourceKey,
              BlobRole.RESULT_IMAGE, runs.get(Stage.FUSION).outputKey);
    };
  }

  private Map<BlobRole, String> outputs(Job job, Stage stage) {
    return switch (stage) {
      case CONTENT_INVERSION ->
          Map.of(BlobRole.CONTENT_EMBEDDING, InversionKeys.of(job, stage).blobKey());
      case CONCEPT_INVERSION ->
          Map.of(BlobRole.CONCEPT_EMBEDDING, InversionKeys.of(job, stage).blobKey());
      case FUSION -> Map.of(BlobRole.RESULT_IMAGE, BlobKeys.result(job.id));
      case SCORING -> Map.of();
    };
  }

  private static String mainOutput(Stage stage, StageEvent.Succeeded event) {
    return switch (stage) {
      case CONTENT_INVERSION -> event.outputKeys().get(BlobRole.CONTENT_EMBEDDING);
      case CONCEPT_INVERSION -> event.outputKeys().get(BlobRole.CONCEPT_EMBEDDING);
      case FUSION -> event.outputKeys().get(BlobRole.RESULT_IMAGE);
      case SCORING -> null;
    };
  }

  /** What a successful stage must report, so a bad executor fails loudly here, not later. */
  private static Optional<String> missingOutput(Stage stage, StageEvent.Succeeded event) {
    if (stage != Stage.SCORING && mainOutput(stage, event) == null) {
      return Optional.of(stage.code() + " reported success without its output blob key");
    }
    if (InversionKeys.cacheable(stage) && shape(event.metrics()).length == 0) {
      return Optional.of(
          stage.code() + " reported success without the embedding shape (metrics shape_0, ...)");
    }
    if (stage == Stage.SCORING
        && !(event.metrics().containsKey("lpips") && event.metrics().containsKey("brisque"))) {
      return Optional.of("scoring reported success without both lpips and brisque");
    }
    return Optional.empty();
  }

  /** Inversion executors report their main tensor's shape as metrics shape_0, shape_1, .... */
  static long[] shape(Map<String, Double> metrics) {
    return IntStream.iterate(0, i -> metrics.containsKey("shape_" + i), i -> i + 1)
        .mapToLong(i -> metrics.get("shape_" + i).longValue())
        .toArray();
  }

  private static void catalogue(InversionKeys keys, String blobKey, Map<String, Double> metrics) {
    // Two jobs may invert the same input at once: the first entry stays, the second is dropped.
    Embedding entry =
        Embedding.of(
            keys.kind(),
            keys.inputSha256(),
            keys.modelId(),
            keys.paramHash(),
            blobKey,
            shape(metrics));
    // The statement touches only embeddings: declaring that spares the flush of the whole session
    // that Hibernate does before a native statement it knows nothing about.
    Embedding.getEntityManager()
        .createNativeQuery(
            "insert into embeddings (id, kind, input_sha256, model_id, param_hash, blob_key, shape,"
                + " created_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) on conflict do nothing")
        .unwrap(NativeQuery.class)
        .addSynchronizedEntityClass(Embedding.class)
        .setParameter(1, entry.id)
        .setParameter(2, entry.kind.code())
        .setParameter(3, entry.inputSha256)
        .setParameter(4, entry.modelId)
        .setParameter(5, entry.paramHash)
        .setParameter(6, entry.blobKey)
        .setParameter(7, entry.shape)
        .setParameter(8, entry.createdAt)
        .executeUpdate();
  }

  private void finishSucceeded(Job job, Map<Stage, StageRun> runs, Instant now) {
    JobStatus from = job.status;
    job.status = JobStatus.SUCCEEDED;
    job.finishedAt = now;
    job.resultKey = runs.get(Stage.FUSION).outputKey;
    outbox.addJobEvent(JobEvent.StatusChanged.of(job.id, job.tenantId, from, job.status));
    outbox.addJobEvent(
        JobEvent.Completed.succeeded(job.id, job.tenantId, job.resultKey, job.scores));
    metrics.jobFinished(job.status, Duration.between(job.createdAt, now));
  }

  private void finishFailed(Job job, String code, String message, Instant now) {
    JobStatus from = job.status;
    stopOtherStages(job, now);
    job.status = JobStatus.FAILED;
    job.finishedAt = now;
    job.errorCode = code;
    job.errorMessage = message;
    outbox.addJobEvent(JobEvent.StatusChanged.of(job.id, job.tenantId, from, job.status));
    outbox.addJobEvent(JobEvent.Completed.failed(job.id, job.tenantId, code, message));
    metrics.jobFinished(job.status, Duration.between(job.createdAt, now));
  }

  private void finishCancelled(Job job, Instant now) {
    JobStatus from = job.status;
    stopOtherStages(job, now);
    job.status = JobStatus.CANCELLED;
    job.finishedAt = now;
    outbox.addJobEvent(JobEvent.StatusChanged.of(job.id, job.tenantId, from, job.status));
    outbox.addJobEvent(JobEvent.Completed.cancelled(job.id, job.tenantId));
    metrics.jobFinished(job.status, Duration.between(job.createdAt, now));
  }

  /**
   * Marks every unfinished stage run cancelled; when one may be running on a worker, broadcasts a
   * cancel so that the worker stops it between two steps. An inversion on a worker that other jobs
   * wait for (single flight) is not cancelled: it keeps running for them ({@link #keptForWaiters}),
   * and then the job's other runs are stopped one attempt each rather than by a whole-job cancel.
   */
  private void stopOtherStages(Job job, Instant now) {
    List<StageRun> stopped = new ArrayList<>();
    boolean kept = false;
    // the runs this transaction knows (read, or planned and not persisted yet), else read now
    for (StageRun run : runsOf(List.of(job.id)).getOrDefault(job.id, Map.of()).values()) {
      if (run.status.terminal()) {
        continue;
      }
      if (run.status.inFlight() && run.cacheKey != null && SingleFlight.hasWaiters(run)) {
        kept = true;
        LOG.infof(
            "%s of job %s keeps running after its job ends: other jobs wait for it",
            run.stage.code(), job.id);
        continue;
      }
      if (run.status.inFlight()) {
        stopped.add(run);
      }
      run.status = StageRunStatus.CANCELLED;
      run.finishedAt = now;
      run.leaseExpiresAt = null;
      run.nextAttemptAt = null;
      announce(job, run);
    }
    if (stopped.isEmpty()) {
      return;
    }
    stopped.forEach(this::leftFlight);
    if (!kept) {
      outbox.add(
          Topics.JOB_CANCEL,
          CancelRequest.of(job.id, job.tenantId, "job " + job.id + " ended; stop its stages"));
      return;
    }
    for (StageRun run : stopped) {
      outbox.add(
          Topics.JOB_CANCEL,
          CancelRequest.ofAttempt(
              new StageRunRef(job.id, run.id, run.stage, run.attempt),
              job.tenantId,
              "job " + job.id + " ended; stop its " + run.stage.code()));
    }
  }

  /**
   * Whether {@code run} goes on after its job ended: an inversion other jobs waited for when the
   * job ended ({@link #stopOtherStages} leaves only those unfinished). Its events still count, but
   * only for the flight: it has no retries of its own (the first waiter reruns it when it fails),
   * and the ended job's log gets nothing more.
   */
  private static boolean keptForWaiters(Job job, StageRun run) {
    return job.status.terminal() && !run.status.terminal();
  }

  /**
   * Ends {@code run}, kept for waiters, without success: the first waiter takes the flight over.
   */
  private void leaveFlight(StageRun run, StageRunStatus status, Instant now) {
    LOG.infof(
        "%s %s, kept for the jobs waiting for it after its job %s ended (%s); the first of them"
            + " takes it over",
        run.stage.code(), status.code(), run.jobId, run.errorCode);
    run.status = status;
    run.finishedAt = now;
    run.leaseExpiresAt = null;
    run.nextAttemptAt = null;
    dispatcher.wakeAfterCommit(run.stage); // a slot is free
    dispatcher.wakeAfterCommit(); // the waiters are resolved on the dispatcher thread's next pass
  }

  /**
   * {@code run} left flight: a slot of its pool is free (the transaction's own dispatch round, or
   * the dispatcher thread, fills it), and the runs waiting for it (single flight) are resolved on
   * the dispatcher thread's next pass.
   */
  private void leftFlight(StageRun run) {
    dispatcher.wakeAfterCommit(run.stage);
    if (run.cacheKey != null) {
      dispatcher.wakeForWaitersOf(run.id);
    }
  }

  /**
   * The waiting runs whose run left the flight, first waiter first: for the {@link Dispatcher},
   * which resolves each with {@link #resolveWaiting}.
   */
  @Transactional
  public List<UUID> unblockedWaiters(int limit) {
    return SingleFlight.unblocked(limit);
  }

  /**
   * Resolves a waiting stage run whose run left the flight. It takes that run's embedding when it
   * succeeded (skipped, like a cache hit) and its job goes on. Otherwise, when another run holds
   * the flight by now it waits for that one; when the run it waited for was already a rerun for
   * waiters and failed, it fails with it; else the first waiter runs it (queued, with its own
   * retries) and the others wait for that one.
   */
  @Transactional
  public void resolveWaiting(UUID stageRunId) {
    resolve(stageRunId);
    outbox.flush();
  }

  private void resolve(UUID stageRunId) {
    LockedRun locked = lockedRun(stageRunId);
    if (locked == null) {
      return;
    }
    Job job = locked.job();
    StageRun run = locked.run();
    if (job.status != JobStatus.RUNNING || run.status != StageRunStatus.WAITING) {
      return;
    }
    SingleFlight.lock(List.of(run.cacheKey));
    Optional<StageRun> owner = SingleFlight.owner(run.cacheKey, run.id);
    if (owner.isPresent()) {
      run.waitingFor = owner.get().id; // another waiter took the flight over
      return;
    }
    Instant now = Clock.now();
    InversionKeys keys = InversionKeys.of(job, run.stage);
    Optional<Embedding> shared =
        Embedding.lookup(keys.kind(), keys.inputSha256(), keys.modelId(), keys.paramHash());
    if (shared.isPresent()) {
      run.status = StageRunStatus.SKIPPED;
      run.outputKey = shared.get().blobKey;
      run.skipReason =
          "reused the "
              + keys.kind().code()
              + " embedding "
              + shared.get().blobKey
              + " of the identical "
              + run.stage.code()
              + " it waited for (stage run "
              + run.waitingFor
              + ")";
      run.finishedAt = now;
      metrics.singleFlight(keys.kind(), "shared");
      announce(job, run);
      advance(job, runsOf(job), now);
      return;
    }
    StageRun previous = run.waitingFor == null ? null : StageRun.findById(run.waitingFor);
    if (previous != null && previous.status == StageRunStatus.FAILED && previous.sharedRerun) {
      run.status = StageRunStatus.FAILED;
      run.finishedAt = now;
      run.errorCode = previous.errorCode;
      run.errorMessage =
          "the identical "
              + run.stage.code()
              + " this stage waited for failed again after a rerun: "
              + previous.errorMessage;
      run.errorRetryable = previous.errorRetryable;
      metrics.singleFlight(keys.kind(), "failed");
      announce(job, run);
      finishFailed(job, run.errorCode, run.errorMessage, now);
      return;
    }
    if (SingleFlight.firstWaiter(run.cacheKey).filter(first -> first.id.equals(run.id)).isEmpty()) {
      return; // the first waiter takes the flight over; this one then waits for it
    }
    run.sharedRerun =
        previous != null && (previous.sharedRerun || previous.status == StageRunStatus.FAILED);
    LOG.infof(
        "%s of job %s runs itself: the identical run %s it waited for ended %s",
        run.stage.code(),
        job.id,
        run.waitingFor,
        previous == null ? "and is gone" : "as " + previous.status.code());
    metrics.singleFlight(keys.kind(), "took_over");
    enqueue(job, run);
  }

  /** The cache keys of {@code job}'s inversions. */
  private static List<String> cacheKeys(Job job) {
    return List.of(
        InversionKeys.of(job, Stage.CONTENT_INVERSION).blobKey(),
        InversionKeys.of(job, Stage.CONCEPT_INVERSION).blobKey());
  }

  /**
   * Tells the job's log that {@code run} changed; nothing once the job ended (a kept run). A later
   * change of the same attempt in this transaction replaces it ({@link Outbox}).
   */
  private void announce(Job job, StageRun run) {
    if (!job.status.terminal()) {
      outbox.addJobEvent(stageChanged(job, run));
    }
  }

  private void alive(StageRun run, Instant now) {
    run.lastHeartbeatAt = now;
    run.leaseExpiresAt = now.plus(config.lease());
  }

  private static double fraction(Map<Stage, StageRun> runs, Stage current, double currentDone) {
    double done =
        runs.values().stream()
            .filter(r -> r.status == StageRunStatus.SUCCEEDED || r.status == StageRunStatus.SKIPPED)
            .mapToDouble(r -> WEIGHT.get(r.stage))
            .sum();
    return Math.min(1.0, done + WEIGHT.get(current) * Math.max(0, Math.min(1, currentDone)));
  }

  private int maxAttempts(Stage stage) {
    return config.stage(stage).maxAttempts();
  }

  private Backoff backoff() {
    return new Backoff(config.retry().base(), config.retry().factor(), config.retry().cap());
  }

  private static Optional<Job> lockJob(UUID jobId) {
    return Optional.ofNullable(Job.findById(jobId, LockModeType.PESSIMISTIC_WRITE));
  }

  /** A stage run read again after its job's row was locked, with that job. */
  private record LockedRun(Job job, StageRun run) {}

  /**
   * Locks the job of a stage run, then refreshes the run so that it shows what the transaction that
   * held the lock last wrote; null when there is no such run.
   */
  private static LockedRun lockedRun(UUID stageRunId) {
    StageRun unlocked = StageRun.findById(stageRunId);
    if (unlocked == null) {
      return null;
    }
    Job job = lockJob(unlocked.jobId).orElseThrow();
    StageRun run = StageRun.findById(stageRunId);
    StageRun.getEntityManager().refresh(run);
    return new LockedRun(job, run);
  }

  /** Locks the jobs' rows in id order (so concurrent transactions never deadlock); by id. */
  private static Map<UUID, Job> lockJobs(Collection<UUID> jobIds) {
    if (jobIds.isEmpty()) {
      return Map.of();
    }
    List<Object> ids = InList.values(jobIds);
    List<Job> jobs =
        Job.<Job>find("id in " + InList.parameters(1, ids.size()) + " order by id", ids.toArray())
            .withLock(LockModeType.PESSIMISTIC_WRITE)
            .list();
    return jobs.stream().collect(Collectors.toMap(job -> job.id, job -> job));
  }

  private static Map<Stage, StageRun> runsOf(Job job) {
    Map<Stage, StageRun> runs = new EnumMap<>(Stage.class);
    StageRun.forJob(job.id).forEach(run -> runs.put(run.stage, run));
    return runs;
  }

  /**
   * The stage runs of several jobs, by job; a job without runs has no entry. Read in one statement,
   * except those of jobs whose runs this transaction read or planned before (the same managed
   * entities): a dispatch round in a reporting transaction mostly sends that transaction's own
   * jobs' next stages.
   */
  public Map<UUID, Map<Stage, StageRun>> runsOf(Collection<UUID> jobIds) {
    Map<UUID, Map<Stage, StageRun>> known = knownRuns();
    Map<UUID, Map<Stage, StageRun>> runs = new HashMap<>();
    List<UUID> unknown = new ArrayList<>();
    for (UUID jobId : jobIds) {
      Map<Stage, StageRun> jobRuns = known.get(jobId);
      if (jobRuns != null) {
        runs.put(jobId, jobRuns);
      } else if (!known.containsKey(jobId)) {
        unknown.add(jobId);
      }
    }
    if (!unknown.isEmpty()) {
      List<Object> ids = InList.values(unknown);
      StageRun.<StageRun>list("jobId in " + InList.parameters(1, ids.size()), ids.toArray())
          .forEach(
              run ->
                  runs.computeIfAbsent(run.jobId, id -> new EnumMap<>(Stage.class))
                      .put(run.stage, run));
      unknown.forEach(jobId -> known.put(jobId, runs.get(jobId)));
    }
    return runs;
  }

  /**
   * The jobs of {@code jobIds} that exist, by id: those this transaction has already loaded without
   * a statement, the others in one.
   */
  public Map<UUID, Job> jobs(Collection<UUID> jobIds) {
    Map<UUID, Job> jobs = new HashMap<>();
    if (jobIds.isEmpty()) {
      return jobs;
    }
    Job.getEntityManager()
        .unwrap(Session.class)
        .findMultiple(Job.class, List.copyOf(jobIds), SessionCheckMode.ENABLED)
        .stream()
        .filter(Objects::nonNull)
        .forEach(job -> jobs.put(job.id, job));
    return jobs;
  }

  /**
   * Those of {@code jobIds} whose rows this transaction locked already ({@code FOR UPDATE}, as
   * {@link #lockJobs} and {@link #lockJob} do): managed jobs read with that lock, looked up in the
   * session without a statement. A dispatch round that sends a reporting transaction's own jobs'
   * next stages need not lock them again.
   */
  public Set<UUID> lockedJobs(Collection<UUID> jobIds) {
    SessionImplementor session = Job.getEntityManager().unwrap(SessionImplementor.class);
    EntityPersister persister =
        session.getFactory().getMappingMetamodel().getEntityDescriptor(Job.class);
    PersistenceContext context = session.getPersistenceContextInternal();
    Set<UUID> locked = new HashSet<>();
    for (UUID id : jobIds) {
      Object job = context.getEntity(session.generateEntityKey(id, persister));
      EntityEntry entry = job != null ? context.getEntry(job) : null;
      if (entry != null && entry.getLockMode().greaterThan(LockMode.PESSIMISTIC_READ)) {
        locked.add(id);
      }
    }
    return locked;
  }

  /**
   * The stage runs this transaction has read or planned, by job (a job read without runs maps to
   * null): managed entities, so they stay current as the transaction changes them.
   */
  private Map<UUID, Map<Stage, StageRun>> knownRuns() {
    @SuppressWarnings("unchecked")
    Map<UUID, Map<Stage, StageRun>> known =
        (Map<UUID, Map<Stage, StageRun>>) transactions.getResource(KNOWN_RUNS);
    if (known == null) {
      known = new HashMap<>();
      transactions.putResource(KNOWN_RUNS, known);
    }
    return known;
  }

  /**
   * The stage runs of {@code stages} whose status this transaction changed and has not written to
   * the database (for its dispatch rounds, which add them to what they read): those it planned and
   * has not persisted, and the managed ones whose status differs from the status last read or
   * written (Hibernate's loaded state, which each flush brings up to date).
   */
  public List<UnwrittenRun> unwrittenRuns(Collection<Stage> stages) {
    List<UnwrittenRun> unwritten = new ArrayList<>();
    planned().stream()
        .filter(run -> stages.contains(run.stage))
        .forEach(run -> unwritten.add(unwritten(run, null)));
    PersistenceContext context =
        StageRun.getEntityManager()
            .unwrap(SessionImplementor.class)
            .getPersistenceContextInternal();
    for (Map.Entry<Object, EntityEntry> managed : context.reentrantSafeEntityEntries()) {
      if (managed.getKey() instanceof StageRun run
          && stages.contains(run.stage)
          && managed.getValue().getStatus() == Status.MANAGED) {
        EntityEntry entry = managed.getValue();
        StageRunStatus written =
            entry.isExistsInDatabase() ? (StageRunStatus) entry.getLoadedValue("status") : null;
        if (written != run.status) {
          unwritten.add(unwritten(run, written));
        }
      }
    }
    return unwritten;
  }

  private static UnwrittenRun unwritten(StageRun run, StageRunStatus written) {
    // the job is in this transaction's session: it changed the run under the job's lock
    Job job = Objects.requireNonNull(Job.getEntityManager().find(Job.class, run.jobId));
    return new UnwrittenRun(
        run.id,
        run.jobId,
        job.tenantId,
        job.priority,
        job.createdAt,
        run.stage,
        written,
        run.status);
  }

  private static JobEvent.StageChanged stageChanged(Job job, StageRun run) {
    return JobEvent.StageChanged.of(job.id, job.tenantId, run.stage, run.status, run.attempt);
  }

  private static String type(StageEvent event) {
    return event.getClass().getSimpleName();
  }
}
