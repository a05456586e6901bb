package dev.vct.storage.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class FairOrderTest {
  private static final UUID A = new UUID(0, 1);
  private static final UUID B = new UUID(0, 2);
  private static final UUID C = new UUID(0, 3);

  @Test
  void theTenantWithFewestRequestsInFlightGoesFirst() {
    assertEquals(
        List.of(B, B, A, B),
        FairOrder.next(Map.of(A, 2), Map.of(A, 3, B, 3), null, 4),
        "b catches up with a's 2 in flight, then they alternate, a first after b");
  }

  @Test
  void tenantsWithEquallyFewTakeTurnsAfterTheOneServedLast() {
    assertEquals(List.of(C, A, B, C, A), FairOrder.next(Map.of(), Map.of(A, 2, B, 1, C, 5), B, 5));
    assertEquals(List.of(A, B, C), FairOrder.next(Map.of(), Map.of(A, 1, B, 1, C, 1), null, 9));
  }

  @Test
  void aTenantThatFloodsTheQueueDoesNotDelayAnotherOnesRequest() {
    Map<UUID, Integer> waiting = Map.of(A, 500, B, 1);
    assertEquals(0, FairOrder.ahead(Map.of(A, 3), waiting, A, B, 1));
    assertEquals(1, FairOrder.ahead(Map.of(), waiting, B, B, 1), "a's turn first, then b's");
  }

  @Test
  void aheadCountsWhatNextSendsBeforeTheRequest() {
    Random random = new Random(13);
    List<UUID> tenants = List.of(A, B, C, new UUID(0, 4));
    for (int trial = 0; trial < 300; trial++) {
      Map<UUID, Integer> inFlight = new HashMap<>();
      Map<UUID, Integer> waiting = new HashMap<>();
      int total = 0;
      for (UUID tenant : tenants) {
        if (random.nextInt(4) > 0) {
          inFlight.put(tenant, random.nextInt(4));
        }
        int w = random.nextInt(5);
        waiting.put(tenant, w);
        total += w;
      }
      UUID last = random.nextBoolean() ? null : tenants.get(random.nextInt(tenants.size()));
      List<UUID> order = FairOrder.next(inFlight, waiting, last, total + 3);
      assertEquals(total, order.size(), "every waiting request once");
      for (UUID tenant : tenants) {
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
          if (order.get(i).equals(tenant)) {
            positions.add(i);
          }
        }
        for (int rank = 1; rank <= waiting.get(tenant); rank++) {
          assertEquals(
              (long) positions.get(rank - 1),
              FairOrder.ahead(inFlight, waiting, last, tenant, rank),
              "trial " + trial + " " + tenant + " rank " + rank + " in " + order);
        }
      }
    }
  }

  @Test
  void aRankBeyondTheTenantsWaitingRequestsIsRefused() {
    assertThrows(
        IllegalArgumentException.class, () -> FairOrder.ahead(Map.of(), Map.of(A, 1), null, A, 2));
  }
}
