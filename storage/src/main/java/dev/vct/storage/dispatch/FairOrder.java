package dev.vct.storage.dispatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The order in which one worker pool's waiting stage requests are sent, across tenants: the next
 * request goes to the tenant with the fewest requests in flight on the pool (counting those just
 * picked), and among tenants with equally few to the first one after the tenant served last, in
 * tenant-id order, wrapping around (round robin). Within a tenant its requests go by the job's
 * priority, then age; that order is the caller's (the database query), as it never depends on other
 * tenants.
 *
 * <p>Picks therefore go level by level: every tenant with requests left is served once at a level
 * (its in-flight count plus its picks so far), in one round-robin sweep that starts after the
 * tenant served last, before any is served at the next level. A tenant that floods the queue gets
 * no more of the pool than one that sends a request now and then, as long as that one has requests
 * waiting.
 */
public final class FairOrder {
  private FairOrder() {}

  /**
   * The tenant of each of the next {@code picks} requests to send (fewer when fewer wait).
   *
   * @param inFlight requests in flight on the pool per tenant (absent: none)
   * @param waiting requests waiting per tenant (absent or 0: none)
   * @param lastServed the tenant served last on this pool; null when none yet
   */
  public static List<UUID> next(
      Map<UUID, Integer> inFlight, Map<UUID, Integer> waiting, UUID lastServed, int picks) {
    TreeMap<UUID, Integer> left = new TreeMap<>();
    waiting.forEach(
        (tenant, count) -> {
          if (count > 0) {
            left.put(tenant, count);
          }
        });
    TreeMap<UUID, Integer> level = new TreeMap<>();
    left.keySet().forEach(tenant -> level.put(tenant, inFlight.getOrDefault(tenant, 0)));
    List<UUID> order = new ArrayList<>(picks);
    UUID last = lastServed;
    while (order.size() < picks && !left.isEmpty()) {
      int lowest = level.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
      TreeSet<UUID> tied = new TreeSet<>();
      level.forEach(
          (tenant, l) -> {
            if (l == lowest) {
              tied.add(tenant);
            }
          });
      UUID tenant = after(tied, last);
      order.add(tenant);
      last = tenant;
      if (left.merge(tenant, -1, Integer::sum) == 0) {
        left.remove(tenant);
        level.remove(tenant);
      } else {
        level.merge(tenant, 1, Integer::sum);
      }
    }
    return order;
  }

  /**
   * How many waiting requests of the pool are sent before the {@code rank}-th (1 for its first)
   * waiting request of {@code tenant}, if nothing else changes: the requests of lower levels, and
   * at that request's own level those that come before it in the round-robin sweep. The same order
   * as {@link #next}, computed level by level rather than pick by pick.
   */
  public static long ahead(
      Map<UUID, Integer> inFlight,
      Map<UUID, Integer> waiting,
      UUID lastServed,
      UUID tenant,
      int rank) {
    if (rank < 1 || waiting.getOrDefault(tenant, 0) < rank) {
      throw new IllegalArgumentException(
          "tenant "
              + tenant
              + " has "
              + waiting.getOrDefault(tenant, 0)
              + " waiting requests, no rank "
              + rank);
    }
    int target = inFlight.getOrDefault(tenant, 0) + rank - 1;
    int lowest = target;
    for (Map.Entry<UUID, Integer> w : waiting.entrySet()) {
      if (w.getValue() > 0) {
        lowest = Math.min(lowest, inFlight.getOrDefault(w.getKey(), 0));
      }
    }
    long ahead = 0;
    UUID last = lastServed;
    for (int l = lowest; l < target; l++) {
      TreeSet<UUID> served = servedAt(inFlight, waiting, l);
      ahead += served.size();
      if (!served.isEmpty()) {
        last = lastOfSweep(served, last);
      }
    }
    TreeSet<UUID> served = servedAt(inFlight, waiting, target);
    // the sweep at the target level: the tenants after `last` up to the tenant itself
    UUID current = last;
    while (true) {
      UUID next = after(served, current);
      if (next.equals(tenant)) {
        return ahead;
      }
      ahead++;
      current = next;
    }
  }

  /**
   * The tenants that get a request at {@code level}: in flight at most that, and enough waiting.
   */
  private static TreeSet<UUID> servedAt(
      Map<UUID, Integer> inFlight, Map<UUID, Integer> waiting, int level) {
    TreeSet<UUID> served = new TreeSet<>();
    waiting.forEach(
        (tenant, count) -> {
          int from = inFlight.getOrDefault(tenant, 0);
          if (count > 0 && from <= level && level < from + count) {
            served.add(tenant);
          }
        });
    return served;
  }

  /** The first of {@code tenants} after {@code last} in id order, wrapping around. */
  private static UUID after(TreeSet<UUID> tenants, UUID last) {
    UUID next = last == null ? null : tenants.higher(last);
    return next != null ? next : tenants.first();
  }

  /** The tenant a sweep over {@code tenants} that starts after {@code last} ends with. */
  private static UUID lastOfSweep(TreeSet<UUID> tenants, UUID last) {
    UUID end = last == null ? null : tenants.floor(last);
    return end != null ? end : tenants.last();
  }
}
