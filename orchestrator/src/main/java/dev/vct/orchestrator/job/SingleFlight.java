package dev.vct.orchestrator.job;

import dev.vct.storage.blob.Sha256;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import dev.vct.storage.persistence.InList;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Single flight of inversions: at most one stage run per cache key is in flight ({@link
 * StageRun#IN_FLIGHT_FOR_KEY}); an identical run of another job waits for it and takes its output.
 *
 * <p>Who runs is decided under a transaction-scoped advisory lock per key ({@link #lock}), taken
 * after the transaction's job row locks and before anything else that blocks: a transaction that
 * holds a key's lock never waits for a job's row, and one that takes several keys takes them in one
 * order, so nothing waits in a cycle. Leaving the flight (success, failure, cancel) takes no key
 * lock: a run that started to wait just before its owner left is found by {@link #unblocked} and
 * resolved in a transaction of its own.
 */
final class SingleFlight {
  private SingleFlight() {}

  /** The advisory locks' class (their first key), so they collide with no other use. */
  private static final int LOCK_CLASS = 0x5646_4c54; // "VFLT"

  /** The statuses of a run that holds its key's flight, one parameter each ({@link InList}). */
  private static final List<Object> IN_FLIGHT = InList.values(StageRun.IN_FLIGHT_FOR_KEY);

  private static final String OWNER =
      "cacheKey = ?1 and id <> ?2 and status in " + InList.parameters(3, IN_FLIGHT.size());

  /**
   * Takes the advisory locks of {@code cacheKeys} until the transaction ends, in the order of their
   * lock ids, in one statement. Taking a key this transaction already holds again is harmless.
   */
  static void lock(Collection<String> cacheKeys) {
    List<String> ids =
        cacheKeys.stream()
            .filter(Objects::nonNull)
            .map(SingleFlight::lockId)
            .distinct()
            .sorted()
            .map(String::valueOf)
            .toList();
    if (ids.isEmpty()) {
      return;
    }
    // the ids are numbers this class made, written into the statement: unnest takes them in order
    em().createNativeQuery(
            "select count(pg_advisory_xact_lock("
                + LOCK_CLASS
                + ", k)) from unnest(array["
                + String.join(",", ids)
                + "]::int[]) k")
        .getSingleResult();
  }

  /** The key's lock id: 32 bits of its SHA-256 (two keys sharing one only wait for each other). */
  static int lockId(String cacheKey) {
    return Integer.parseUnsignedInt(Sha256.hex(cacheKey).substring(0, 8), 16);
  }

  /** The run that holds {@code cacheKey}'s flight, other than {@code except}. */
  static Optional<StageRun> owner(String cacheKey, UUID except) {
    List<Object> parameters = new ArrayList<>(List.of(cacheKey, except));
    parameters.addAll(IN_FLIGHT);
    return StageRun.<StageRun>find(OWNER, parameters.toArray()).firstResultOptional();
  }

  /** The runs that hold the flights of {@code cacheKeys}, by key, in one statement. */
  static Map<String, StageRun> owners(Collection<String> cacheKeys) {
    Map<String, StageRun> owners = new HashMap<>();
    if (!cacheKeys.isEmpty()) {
      List<Object> keys = InList.values(cacheKeys);
      List<Object> parameters = new ArrayList<>(keys);
      parameters.addAll(IN_FLIGHT);
      StageRun.<StageRun>list(
              "cacheKey in "
                  + InList.parameters(1, keys.size())
                  + " and status in "
                  + InList.parameters(keys.size() + 1, IN_FLIGHT.size()),
              parameters.toArray())
          .forEach(run -> owners.putIfAbsent(run.cacheKey, run));
    }
    return owners;
  }

  /** Whether any run waits for {@code owner}. */
  static boolean hasWaiters(StageRun owner) {
    return StageRun.count("waitingFor = ?1 and status = ?2", owner.id, StageRunStatus.WAITING) > 0;
  }

  /** The run that has waited longest for {@code cacheKey}'s flight (it takes it over first). */
  static Optional<StageRun> firstWaiter(String cacheKey) {
    return StageRun.<StageRun>find(
            "cacheKey = ?1 and status = ?2 order by createdAt, id",
            cacheKey,
            StageRunStatus.WAITING)
        .firstResultOptional();
  }

  /**
   * Waiting runs whose run left the flight (it ended, or it was deleted), first waiter first, at
   * most {@code limit}.
   */
  @SuppressWarnings("unchecked")
  static List<UUID> unblocked(int limit) {
    return em().createNativeQuery(
            "select w.id from stage_runs w left join stage_runs o on o.id = w.waiting_for"
                + " where w.status = 'waiting' and (o.id is null"
                + " or o.status not in ('pending', 'queued', 'dispatched', 'running'))"
                + " order by w.created_at, w.id limit ?1",
            UUID.class)
        .setParameter(1, limit)
        .getResultList();
  }

  private static EntityManager em() {
    return StageRun.getEntityManager();
  }
}
