package dev.vct.orchestrator.dispatch;

import dev.vct.orchestrator.job.JobService;
import dev.vct.orchestrator.metrics.OrchestratorMetrics;
import dev.vct.orchestrator.outbox.Outbox;
import dev.vct.orchestrator.transaction.AfterCompletion;
import dev.vct.storage.dispatch.DispatchQueue;
import dev.vct.storage.dispatch.FairOrder;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.TransactionSynchronizationRegistry;
import jakarta.transaction.Transactional;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * One pass of the dispatcher over one worker pool, in one transaction: lock the pool's rows of
 * {@code stage_dispatch} (in stage order; a second replica waits here, so two never fill the same
 * slots), count what the pool has in flight, choose the next runs for its free slots in {@link
 * FairOrder}, and send them ({@link JobService#send}), each under its job's row lock. A job that
 * another transaction holds is skipped (SKIP LOCKED): the dispatcher never waits for a job while it
 * holds a pool, and that transaction wakes it again when it commits.
 *
 * <p>A round first reads the pool's counts without locking anything: when the pool has no free slot
 * or nothing waits, it ends there, read-only (no row lock, so no commit to flush to disk), as most
 * rounds do, since the dispatcher looks at every pool each time it is woken. That is safe because
 * whatever frees a slot or queues a run wakes the dispatcher after it commits, so a later round
 * sees it. The round looks first only while the pool's rows hold the pool and slots it has now, as
 * this replica last read them under the lock; otherwise it locks and records them first. Nor does a
 * transaction that queued runs of the pool look first while the pool had more free slots than that
 * at its last count: it would send, so it locks and counts at once.
 *
 * <p>A round that need not wait (a reporting or planning transaction's) does not even look while
 * another transaction of this replica holds the pool's rows: it would only find them locked, and
 * leaves the pool to the dispatcher thread at once, without a statement. The replica counts, per
 * pool, the transactions that locked its rows and have not completed yet; the count is a hint only
 * (the rows' lock decides): a transaction that has just committed may still be counted, and the
 * dispatcher thread, which the busy round wakes, does not read the count.
 */
@ApplicationScoped
public class DispatchRound {
  private static final Logger LOG = Logger.getLogger(DispatchRound.class);

  @Inject EntityManager em;
  @Inject JobService jobs;
  @Inject Outbox outbox;
  @Inject OrchestratorMetrics metrics;
  @Inject TransactionSynchronizationRegistry transactions;

  /** Per pool (its name and stages), the slots its rows held when this replica last locked them. */
  private final Map<String, Integer> recorded = new ConcurrentHashMap<>();

  /**
   * Per pool, the free slots the last counts this replica read found: a hint, whether a transaction
   * that queued runs may lock the pool's rows without looking first ({@link #likelyToSend}).
   */
  private final Map<String, Integer> lastFree = new ConcurrentHashMap<>();

  /** Per pool, the transactions of this replica that locked its rows and have not completed. */
  private final Map<String, AtomicInteger> holders = new ConcurrentHashMap<>();

  /**
   * What a round did: how many requests it sent, and whether it left nothing that another round
   * could send now (the pool had no free slot or nothing waiting, or it sent every run it picked).
   */
  public record Result(int sent, boolean settled) {
    static final Result NOTHING_TO_SEND = new Result(0, true);
    static final Result BUSY = new Result(0, false);
  }

  /**
   * Sends up to the pool's free slots' worth of its queued runs. With {@code wait} false, a pool
   * whose rows another transaction holds (its round is under way) is left to the dispatcher thread
   * rather than waited for ({@link Result#BUSY}, not settled, so the commit wakes the thread).
   */
  @Transactional
  public Result dispatch(WorkerPools.Pool pool, int slots, boolean wait) {
    Result result = dispatch(pool, slots, wait, List.of());
    outbox.flush();
    return result;
  }

  /**
   * As {@link #dispatch(WorkerPools.Pool, int, boolean)}, in a transaction that changed stage runs
   * of the pool and has not written them ({@code own}, see {@link UnwrittenRun}): the round adds
   * them to what it reads (its counts and the first waiting runs), and must not flush them. Nor
   * does it flush the outbox: the caller does, once after all its rounds, so that a run this
   * transaction queued in one round's pool and sent in a later one's is one job event.
   */
  @Transactional
  public Result dispatch(WorkerPools.Pool pool, int slots, boolean wait, List<UnwrittenRun> own) {
    List<String> stages = DispatchQueue.codes(pool.stages());
    String key = pool.name() + stages;
    if (!wait && heldByAnother(key)) {
      metrics.dispatchRound(pool.name(), "busy", false, 0);
      return Result.BUSY;
    }
    if (Integer.valueOf(slots).equals(recorded.get(key)) && !likelyToSend(key, own)) {
      DispatchQueue.Counts looked = withOwn(DispatchQueue.countsUpTo(pool.stages(), slots), own);
      lastFree.put(key, slots - looked.totalInFlight());
      if (nothingToSend(looked, slots)) {
        metrics.dispatchRound(pool.name(), idleOrFull(looked), false, 0);
        return Result.NOTHING_TO_SEND;
      }
    }
    Optional<UUID> locked = lockPool(pool, key, stages, slots, wait);
    if (locked == null) {
      metrics.dispatchRound(pool.name(), "busy", false, 0);
      return Result.BUSY;
    }
    UUID lastServed = locked.orElse(null);
    DispatchQueue.Counts counts = withOwn(DispatchQueue.countsUpTo(pool.stages(), slots), own);
    int free = slots - counts.totalInFlight();
    lastFree.put(key, free);
    if (nothingToSend(counts, slots)) {
      metrics.dispatchRound(pool.name(), idleOrFull(counts), true, 0);
      return Result.NOTHING_TO_SEND;
    }
    List<UUID> order = FairOrder.next(counts.inFlight(), counts.waiting(), lastServed, free);
    Map<UUID, ArrayDeque<Candidate>> candidates = candidates(pool.stages(), order, own);
    List<Candidate> chosen =
        order.stream()
            .map(tenant -> candidates.getOrDefault(tenant, new ArrayDeque<>()).poll())
            .filter(Objects::nonNull)
            .toList();
    Set<UUID> held = lockJobs(chosen.stream().map(Candidate::jobId).collect(Collectors.toSet()));
    // the chosen jobs and their runs, read in one statement each unless this transaction has them
    Map<UUID, Job> lockedJobs = jobs.jobs(held);
    Map<UUID, Map<Stage, StageRun>> runs = jobs.runsOf(held);
    int sent = 0;
    UUID served = null;
    for (Candidate candidate : chosen) {
      if (!held.contains(candidate.jobId())) {
        continue;
      }
      Job job = lockedJobs.get(candidate.jobId());
      Map<Stage, StageRun> jobRuns = runs.getOrDefault(candidate.jobId(), Map.of());
      StageRun run = jobRuns.get(candidate.stage());
      if (job == null
          || run == null
          || !run.id.equals(candidate.stageRunId())
          || run.status != StageRunStatus.QUEUED) {
        continue; // changed since the counts were read
      }
      // A queued run is its running job's, or an inversion kept for the jobs waiting for it after
      // its own job ended (single flight) that a draining worker gave back.
      assert job.status == JobStatus.RUNNING || job.status.terminal();
      jobs.send(job, run, jobRuns);
      sent++;
      served = candidate.tenantId();
    }
    if (served != null && !served.equals(lastServed)) {
      em.createNativeQuery("update stage_dispatch set last_tenant_id = ?1 where stage in (?2)")
          .setParameter(1, served)
          .setParameter(2, stages)
          .executeUpdate();
    }
    if (sent > 0) {
      LOG.debugf("sent %d of %d waiting %s requests", sent, chosen.size(), pool.name());
    }
    metrics.dispatchRound(pool.name(), sent > 0 ? "sent" : "skipped", true, sent);
    // FairOrder picks fewer than the free slots only when fewer runs wait
    return new Result(sent, sent == order.size());
  }

  /**
   * Whether the round will most likely send: this transaction queued runs of the pool and the pool
   * had more free slots than that when last counted. Then looking first (a counts statement before
   * the lock, to leave a full or idle pool without locking it) is a statement wasted: a stage's
   * success that queues the job's next stage locks and counts at once. Near the pool's cap the
   * round looks first, as before.
   */
  private boolean likelyToSend(String key, List<UnwrittenRun> own) {
    long joined = own.stream().filter(UnwrittenRun::joinedQueue).count();
    return joined > 0 && lastFree.getOrDefault(key, 0) > joined;
  }

  /** Whether another transaction of this replica holds the pool's rows (as far as it knows). */
  private boolean heldByAnother(String key) {
    AtomicInteger count = holders.get(key);
    int mine = transactions.getResource(holdKey(key)) != null ? 1 : 0;
    return count != null && count.get() > mine;
  }

  /** Counts this transaction among the pool's holders until it completes (once per transaction). */
  private void holdUntilCompletion(String key) {
    if (transactions.getResource(holdKey(key)) != null) {
      return;
    }
    transactions.putResource(holdKey(key), Boolean.TRUE);
    AtomicInteger count = holders.computeIfAbsent(key, k -> new AtomicInteger());
    count.incrementAndGet();
    AfterCompletion.register(transactions, status -> count.decrementAndGet());
  }

  private static String holdKey(String key) {
    return DispatchRound.class.getName() + ".holds:" + key;
  }

  private static boolean nothingToSend(DispatchQueue.Counts counts, int slots) {
    return counts.totalInFlight() >= slots || counts.waiting().isEmpty();
  }

  private static String idleOrFull(DispatchQueue.Counts counts) {
    return counts.waiting().isEmpty() ? "idle" : "full";
  }

  private record Candidate(UUID stageRunId, UUID jobId, UUID tenantId, Stage stage) {}

  /**
   * Locks the pool's rows and records the pool as last seen (for the queue positions the gateway
   * shows); returns the tenant the pool served last (empty: none yet). Without {@code wait}, rows
   * that another transaction holds are skipped: then it returns null, the pool being busy (the rows
   * it did lock stay locked until the commit, which the caller does not delay; it never waits for a
   * pool, so it never waits in a cycle).
   */
  private Optional<UUID> lockPool(
      WorkerPools.Pool pool, String key, List<String> stages, int slots, boolean wait) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "select stage, pool, slots, last_tenant_id from stage_dispatch"
                    + " where stage in (?1) order by stage for update"
                    + (wait ? "" : " skip locked"))
            .setParameter(1, stages)
            .getResultList();
    if (!rows.isEmpty()) {
      holdUntilCompletion(key); // the rows it locked stay locked until the commit
    }
    if (!wait && rows.size() < stages.size()) {
      return null;
    }
    boolean changed =
        rows.size() != stages.size()
            || rows.stream()
                .anyMatch(
                    row -> !pool.name().equals(row[1]) || ((Number) row[2]).intValue() != slots);
    if (changed) {
      em.createNativeQuery(
              "update stage_dispatch set pool = ?1, slots = ?2, updated_at = now()"
                  + " where stage in (?3)")
          .setParameter(1, pool.name())
          .setParameter(2, slots)
          .setParameter(3, stages)
          .executeUpdate();
    } else {
      recorded.put(key, slots); // committed as it is: the next rounds may look first
    }
    // the first stage's row speaks for the pool (a pool that just grew takes one turn from it)
    return rows.stream()
        .filter(row -> row[0].equals(stages.get(0)))
        .map(row -> (UUID) row[3])
        .filter(Objects::nonNull)
        .findFirst();
  }

  /**
   * The counts read from the database with the transaction's own unwritten changes ({@code own}):
   * exact for what is in flight; a run the transaction queued counts as waiting, one it took out of
   * the queue still counts (the count read is capped per stage and tenant, so it may not be among
   * those counted): at worst a round picks a tenant with nothing left, leaves that slot free and
   * does not settle, so the commit wakes the dispatcher thread.
   */
  private static DispatchQueue.Counts withOwn(DispatchQueue.Counts read, List<UnwrittenRun> own) {
    if (own.isEmpty()) {
      return read;
    }
    Map<UUID, Integer> inFlight = new HashMap<>(read.inFlight());
    Map<UUID, Integer> waiting = new HashMap<>(read.waiting());
    for (UnwrittenRun run : own) {
      if (run.inFlightChange() != 0) {
        inFlight.merge(run.tenantId(), run.inFlightChange(), Integer::sum);
      }
      if (run.joinedQueue()) {
        waiting.merge(run.tenantId(), 1, Integer::sum);
      }
    }
    inFlight.values().removeIf(count -> count <= 0);
    return new DispatchQueue.Counts(inFlight, waiting);
  }

  /**
   * Per tenant in {@code order}, its first queued runs, as many as {@code order} picks it: read
   * from the queued runs' index in the tenant's order ({@link DispatchQueue#firstWaiting}), merged
   * with the runs the transaction queued and has not written ({@code own}), without those it took
   * out of the queue.
   */
  private static Map<UUID, ArrayDeque<Candidate>> candidates(
      List<Stage> stages, List<UUID> order, List<UnwrittenRun> own) {
    Map<UUID, Integer> picks = new HashMap<>();
    order.forEach(tenant -> picks.merge(tenant, 1, Integer::sum));
    Set<UUID> left =
        own.stream()
            .filter(UnwrittenRun::leftQueue)
            .map(UnwrittenRun::stageRunId)
            .collect(Collectors.toSet());
    Map<UUID, Integer> reads = new HashMap<>(picks);
    reads.replaceAll((tenant, count) -> count + left.size()); // as many more as may be left out
    Map<UUID, List<DispatchQueue.Waiting>> read = DispatchQueue.firstWaiting(stages, reads);
    Map<UUID, ArrayDeque<Candidate>> byTenant = new HashMap<>();
    picks.forEach(
        (tenant, count) -> {
          List<DispatchQueue.Waiting> runs = new ArrayList<>(read.getOrDefault(tenant, List.of()));
          runs.removeIf(run -> left.contains(run.stageRunId()));
          own.stream()
              .filter(run -> run.joinedQueue() && run.tenantId().equals(tenant))
              .forEach(run -> runs.add(run.waiting()));
          runs.sort(DispatchQueue.FIRST);
          ArrayDeque<Candidate> queue = new ArrayDeque<>();
          runs.stream()
              .limit(count)
              .forEach(
                  run ->
                      queue.add(new Candidate(run.stageRunId(), run.jobId(), tenant, run.stage())));
          byTenant.put(tenant, queue);
        });
    return byTenant;
  }

  /** Locks the jobs' rows that no other transaction holds, in id order; returns those locked. */
  private Set<UUID> lockJobs(Set<UUID> jobIds) {
    // the jobs this transaction holds already (a reporting transaction's own) without a statement
    Set<UUID> held = jobs.lockedJobs(jobIds);
    List<UUID> others = jobIds.stream().filter(id -> !held.contains(id)).toList();
    if (others.isEmpty()) {
      return held;
    }
    @SuppressWarnings("unchecked")
    List<UUID> locked =
        em.createNativeQuery(
                "select id from jobs where id in (?1) order by id for update skip locked",
                UUID.class)
            .setParameter(1, others)
            .getResultList();
    held.addAll(locked);
    return held;
  }
}
