package dev.vct.orchestrator.dispatch;

import dev.vct.orchestrator.job.JobService;
import dev.vct.orchestrator.outbox.Outbox;
import dev.vct.storage.dispatch.DispatchQueue;
import dev.vct.storage.dispatch.FairOrder;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * One pass of the dispatcher over one worker pool, in one transaction: lock the pool's rows of
 * {@code stage_dispatch} (in stage order; a second replica waits here, so two never fill the same
 * slots), count what the pool has in flight, choose the next runs for its free slots in {@link
 * FairOrder}, and send them ({@link JobService#send}), each under its job's row lock. A job that
 * another transaction holds is skipped (SKIP LOCKED): the dispatcher never waits for a job while it
 * holds a pool, and that transaction wakes it again when it commits.
 */
@ApplicationScoped
public class DispatchRound {
  private static final Logger LOG = Logger.getLogger(DispatchRound.class);

  @Inject EntityManager em;
  @Inject JobService jobs;
  @Inject Outbox outbox;

  /** Sends up to the pool's free slots' worth of its queued runs; returns how many it sent. */
  @Transactional
  public int dispatch(WorkerPools.Pool pool, int slots) {
    List<String> stages = DispatchQueue.codes(pool.stages());
    UUID lastServed = lockPool(pool, stages, slots);
    DispatchQueue.Counts counts = DispatchQueue.counts(pool.stages());
    int free = slots - counts.totalInFlight();
    if (free <= 0 || counts.waiting().isEmpty()) {
      return 0;
    }
    List<UUID> order = FairOrder.next(counts.inFlight(), counts.waiting(), lastServed, free);
    Map<UUID, ArrayDeque<Candidate>> candidates = candidates(stages, order);
    List<Candidate> chosen =
        order.stream()
            .map(tenant -> candidates.getOrDefault(tenant, new ArrayDeque<>()).poll())
            .filter(Objects::nonNull)
            .toList();
    Set<UUID> locked = lockJobs(chosen.stream().map(Candidate::jobId).collect(Collectors.toSet()));
    int sent = 0;
    UUID served = null;
    for (Candidate candidate : chosen) {
      if (!locked.contains(candidate.jobId())) {
        continue;
      }
      Job job = Job.findById(candidate.jobId());
      StageRun run = StageRun.findById(candidate.stageRunId());
      if (run.status != StageRunStatus.QUEUED) {
        continue; // changed since the counts were read
      }
      // A queued run is its running job's, or an inversion kept for the jobs waiting for it after
      // its own job ended (single flight) that a draining worker gave back.
      assert job.status == JobStatus.RUNNING || job.status.terminal();
      jobs.send(job, run);
      sent++;
      served = candidate.tenantId();
    }
    if (served != null) {
      em.createNativeQuery("update stage_dispatch set last_tenant_id = ?1 where stage in (?2)")
          .setParameter(1, served)
          .setParameter(2, stages)
          .executeUpdate();
      LOG.debugf("sent %d of %d waiting %s requests", sent, chosen.size(), pool.name());
    }
    outbox.flush();
    return sent;
  }

  private record Candidate(UUID stageRunId, UUID jobId, UUID tenantId) {}

  /**
   * Locks the pool's rows and records the pool as last seen (for the queue positions the gateway
   * shows); returns the tenant the pool served last.
   */
  private UUID lockPool(WorkerPools.Pool pool, List<String> stages, int slots) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "select stage, pool, slots, last_tenant_id from stage_dispatch"
                    + " where stage in (?1) order by stage for update")
            .setParameter(1, stages)
            .getResultList();
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
    }
    // the first stage's row speaks for the pool (a pool that just grew takes one turn from it)
    return rows.stream()
        .filter(row -> row[0].equals(stages.get(0)))
        .map(row -> (UUID) row[3])
        .filter(Objects::nonNull)
        .findFirst()
        .orElse(null);
  }

  /** Per tenant in {@code order}, its first queued runs, as many as {@code order} picks it. */
  private Map<UUID, ArrayDeque<Candidate>> candidates(List<String> stages, List<UUID> order) {
    Map<UUID, Long> picks =
        order.stream().collect(Collectors.groupingBy(tenant -> tenant, Collectors.counting()));
    long most = picks.values().stream().mapToLong(Long::longValue).max().orElse(0);
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "select id, job_id, tenant_id from (select r.id, r.job_id, j.tenant_id,"
                    + " row_number() over (partition by j.tenant_id order by "
                    + DispatchQueue.TENANT_ORDER
                    + ") as n from stage_runs r join jobs j on j.id = r.job_id"
                    + " where r.status = 'queued' and r.stage in (?1) and j.tenant_id in (?2)) c"
                    + " where n <= ?3 order by tenant_id, n")
            .setParameter(1, stages)
            .setParameter(2, List.copyOf(picks.keySet()))
            .setParameter(3, most)
            .getResultList();
    Map<UUID, ArrayDeque<Candidate>> byTenant = new HashMap<>();
    for (Object[] row : rows) {
      Candidate candidate = new Candidate((UUID) row[0], (UUID) row[1], (UUID) row[2]);
      byTenant.computeIfAbsent(candidate.tenantId(), t -> new ArrayDeque<>()).add(candidate);
    }
    return byTenant;
  }

  /** Locks the jobs' rows that no other transaction holds, in id order; returns those locked. */
  private Set<UUID> lockJobs(Set<UUID> jobIds) {
    if (jobIds.isEmpty()) {
      return Set.of();
    }
    @SuppressWarnings("unchecked")
    List<UUID> locked =
        em.createNativeQuery(
                "select id from jobs where id in (?1) order by id for update skip locked",
                UUID.class)
            .setParameter(1, List.copyOf(jobIds))
            .getResultList();
    return new HashSet<>(locked);
  }
}
