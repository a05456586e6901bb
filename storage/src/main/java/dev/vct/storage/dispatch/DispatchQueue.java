package dev.vct.storage.dispatch;

import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import jakarta.persistence.EntityManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The dispatch queue as the database holds it: stage runs {@code queued} per worker pool, and what
 * the pool has in flight ({@code dispatched} or {@code running}). A tenant's own runs wait in the
 * order {@link #TENANT_ORDER}; {@link FairOrder} interleaves the tenants. The pools are the rows of
 * {@code stage_dispatch}, which the orchestrator's dispatcher keeps up to date.
 */
public final class DispatchQueue {
  private DispatchQueue() {}

  /**
   * A tenant's waiting runs of one stage, first to go first: the job's priority, then its age.
   * Stage runs carry their job's tenant, priority and creation time (copied when they are
   * inserted), and the queued ones are indexed per stage and tenant in this order, so a tenant's
   * first few are read without a sort. Across the stages of a pool, {@link #FIRST} merges them.
   */
  public static final String TENANT_ORDER = "job_priority desc, job_created_at, job_id";

  /** A waiting run as the dispatcher orders a tenant's runs across the stages of a pool. */
  public record Waiting(
      UUID stageRunId, UUID jobId, int jobPriority, java.time.Instant jobCreatedAt, Stage stage) {}

  /**
   * A tenant's order across stages: higher priority, older job, lower job id (as PostgreSQL orders
   * uuids: their bytes, as {@link UUID#toString} writes them), then the stage's code (as {@link
   * #place} counts).
   */
  public static final java.util.Comparator<Waiting> FIRST =
      java.util.Comparator.comparingInt((Waiting w) -> -w.jobPriority())
          .thenComparing(Waiting::jobCreatedAt)
          .thenComparing(w -> w.jobId().toString())
          .thenComparing(w -> w.stage().code());

  /**
   * Per tenant of {@code counts}, the first runs (as many as its count) it has waiting on the pool
   * of {@code stages}, first to go first: per stage and tenant the first ones from the index, in
   * one statement, merged.
   */
  public static Map<UUID, List<Waiting>> firstWaiting(
      List<Stage> stages, Map<UUID, Integer> counts) {
    Map<UUID, List<Waiting>> byTenant = new HashMap<>();
    if (counts.isEmpty()) {
      return byTenant;
    }
    int most = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em().createNativeQuery(
                "select r.id, r.job_id, r.job_priority, r.job_created_at, r.tenant_id, d.stage"
                    + " from stage_dispatch d cross join tenants t cross join lateral ("
                    + " select id, job_id, job_priority, job_created_at, tenant_id from stage_runs"
                    + " where status = 'queued' and stage = d.stage and tenant_id = t.id order by "
                    + TENANT_ORDER
                    + " limit ?3) r where d.stage in (?1) and t.id in (?2)")
            .setParameter(1, codes(stages))
            .setParameter(2, List.copyOf(counts.keySet()))
            .setParameter(3, most)
            .getResultList();
    for (Object[] row : rows) {
      byTenant
          .computeIfAbsent((UUID) row[4], tenant -> new java.util.ArrayList<>())
          .add(
              new Waiting(
                  (UUID) row[0],
                  (UUID) row[1],
                  ((Number) row[2]).intValue(),
                  instant(row[3]),
                  Stage.fromCode((String) row[5])));
    }
    byTenant.forEach(
        (tenant, runs) -> {
          runs.sort(FIRST);
          int count = counts.get(tenant);
          if (runs.size() > count) {
            runs.subList(count, runs.size()).clear();
          }
        });
    return byTenant;
  }

  private static java.time.Instant instant(Object value) {
    if (value instanceof java.time.Instant instant) {
      return instant;
    }
    if (value instanceof java.time.OffsetDateTime offset) {
      return offset.toInstant();
    }
    return ((java.sql.Timestamp) value).toInstant();
  }

  /** Where a queued stage run waits: 1 for next, and how many requests go before it. */
  public record Place(int position, long requestsAhead) {}

  /** A pool's counts: per tenant, the runs in flight and the runs waiting. */
  public record Counts(Map<UUID, Integer> inFlight, Map<UUID, Integer> waiting) {
    public int totalInFlight() {
      return inFlight.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  /** The stages of {@code stage}'s pool, in stage order. */
  public static List<Stage> poolOf(Stage stage) {
    @SuppressWarnings("unchecked")
    List<String> codes =
        em().createNativeQuery(
                "select d.stage from stage_dispatch d where d.pool = (select pool from"
                    + " stage_dispatch where stage = ?1) order by d.stage")
            .setParameter(1, stage.code())
            .getResultList();
    List<Stage> stages = codes.stream().map(Stage::fromCode).toList();
    return stages.isEmpty() ? List.of(stage) : stages;
  }

  /** The tenant the pool of {@code stages} served last; null when none yet. */
  public static UUID lastServed(List<Stage> stages) {
    @SuppressWarnings("unchecked")
    List<UUID> last =
        em().createNativeQuery(
                "select last_tenant_id from stage_dispatch where stage = ?1", UUID.class)
            .setParameter(1, stages.get(0).code())
            .getResultList();
    return last.isEmpty() ? null : last.get(0);
  }

  /**
   * Per tenant, the pool's runs in flight and waiting: from the stage runs' own columns and their
   * partial indexes, without reading jobs.
   */
  public static Counts counts(List<Stage> stages) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em().createNativeQuery(
                "select tenant_id, false, count(*) from stage_runs"
                    + " where stage in (?1) and status in ('dispatched', 'running') group by 1"
                    + " union all select tenant_id, true, count(*) from stage_runs"
                    + " where stage in (?1) and status = 'queued' group by 1")
            .setParameter(1, codes(stages))
            .getResultList();
    Map<UUID, Integer> inFlight = new HashMap<>();
    Map<UUID, Integer> waiting = new HashMap<>();
    for (Object[] row : rows) {
      UUID tenant = (UUID) row[0];
      int count = ((Number) row[2]).intValue();
      (Boolean.TRUE.equals(row[1]) ? waiting : inFlight).put(tenant, count);
    }
    return new Counts(inFlight, waiting);
  }

  /**
   * Per tenant, the pool's runs in flight, and its runs waiting counted up to {@code cap}: all that
   * {@link FairOrder} needs to hand out {@code cap} free slots. Reads what is in flight (at most
   * the pool's slots) and, per stage, skips through the queued runs' index from one waiting tenant
   * to the next, counting at most {@code cap} of each: the cost depends on the tenants waiting, not
   * on the length of the queue.
   */
  public static Counts countsUpTo(List<Stage> stages, int cap) {
    // one statement: a round's look costs one round trip whatever the pool's stages
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em().createNativeQuery(
                "select tenant_id, true, count(*) from stage_runs"
                    + " where stage in (?1) and status in ('dispatched', 'running') group by 1"
                    + " union all select w.tenant_id, false, sum(w.n) from stage_dispatch d"
                    + " cross join lateral (with recursive t(tenant_id) as ("
                    + " (select tenant_id from stage_runs where status = 'queued'"
                    + " and stage = d.stage order by tenant_id limit 1)"
                    + " union all select (select s.tenant_id from stage_runs s"
                    + " where s.status = 'queued' and s.stage = d.stage"
                    + " and s.tenant_id > t.tenant_id order by s.tenant_id limit 1)"
                    + " from t where t.tenant_id is not null)"
                    + " select t.tenant_id, (select count(*) from (select 1 from stage_runs s"
                    + " where s.status = 'queued' and s.stage = d.stage"
                    + " and s.tenant_id = t.tenant_id limit ?2) c) n"
                    + " from t where t.tenant_id is not null) w"
                    + " where d.stage in (?1) group by 1")
            .setParameter(1, codes(stages))
            .setParameter(2, cap)
            .getResultList();
    Map<UUID, Integer> inFlight = new HashMap<>();
    Map<UUID, Integer> waiting = new HashMap<>();
    for (Object[] row : rows) {
      (Boolean.TRUE.equals(row[1]) ? inFlight : waiting)
          .put((UUID) row[0], ((Number) row[2]).intValue());
    }
    return new Counts(inFlight, waiting);
  }

  /**
   * Where {@code run}, of a job of {@code tenant}, waits in its pool's queue; empty when it is not
   * queued. Requests ahead are those sent before it if nothing else changes, plus those its pool
   * has in flight: what the pool's workers do before they start it.
   */
  public static Optional<Place> place(UUID tenant, StageRun run) {
    if (run.status != StageRunStatus.QUEUED) {
      return Optional.empty();
    }
    List<Stage> stages = poolOf(run.stage);
    Counts counts = counts(stages);
    Number before =
        (Number)
            em().createNativeQuery(
                    "select count(*) from stage_runs r join jobs j on j.id = r.job_id,"
                        + " (select j2.priority, j2.created_at from jobs j2 where j2.id = ?3) me"
                        + " where r.status = 'queued' and r.stage in (?1) and j.tenant_id = ?2"
                        + " and (j.priority > me.priority or (j.priority = me.priority and"
                        + " (j.created_at, r.job_id, r.stage) < (me.created_at, ?3, ?4)))")
                .setParameter(1, codes(stages))
                .setParameter(2, tenant)
                .setParameter(3, run.jobId)
                .setParameter(4, run.stage.code())
                .getSingleResult();
    int rank = before.intValue() + 1;
    if (counts.waiting().getOrDefault(tenant, 0) < rank) {
      return Optional.empty(); // dispatched between the two reads
    }
    long ahead =
        FairOrder.ahead(counts.inFlight(), counts.waiting(), lastServed(stages), tenant, rank);
    return Optional.of(new Place((int) ahead + 1, ahead + counts.totalInFlight()));
  }

  public static List<String> codes(List<Stage> stages) {
    return stages.stream().map(Stage::code).toList();
  }

  private static EntityManager em() {
    return StageRun.getEntityManager();
  }
}
