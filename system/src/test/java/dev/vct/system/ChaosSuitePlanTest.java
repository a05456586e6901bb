package dev.vct.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.storage.job.Stage;
import dev.vct.system.ChaosSuite.Action;
import dev.vct.system.ChaosSuite.Kind;
import dev.vct.system.ChaosSuite.Options;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ChaosSuitePlanTest {

  private static Options options(String... args) {
    return Options.parse(args);
  }

  @Test
  void theSameSeedGivesTheSameScheduleAndAnotherSeedAnother() {
    Options options = options("--seed", "42");
    assertEquals(
        ChaosSuite.plan(options, new Random(42)), ChaosSuite.plan(options, new Random(42)));
    assertNotEquals(
        ChaosSuite.plan(options, new Random(42)), ChaosSuite.plan(options, new Random(43)));
  }

  @Test
  void theScheduleHoldsEveryRequestedFailureInTimeOrder() {
    Options options =
        options(
            "--jobs",
            "50",
            "--worker-kills",
            "12",
            "--orchestrator-restarts",
            "3",
            "--broker-restarts",
            "2",
            "--postgres-restarts",
            "1",
            "--cancels",
            "4",
            "--restart-cancels",
            "3",
            "--down-cancels",
            "2");
    List<Action> plan = ChaosSuite.plan(options, new Random(7));
    Map<Kind, Long> counts =
        plan.stream().collect(Collectors.groupingBy(Action::kind, Collectors.counting()));
    assertEquals(50L, counts.get(Kind.SUBMIT));
    assertEquals(12L, counts.get(Kind.KILL_WORKER));
    assertEquals(2L, counts.get(Kind.KILL_ORCHESTRATOR), "SIGKILL and SIGTERM alternate");
    assertEquals(1L, counts.get(Kind.STOP_ORCHESTRATOR));
    assertEquals(1L, counts.get(Kind.KILL_BROKER));
    assertEquals(1L, counts.get(Kind.STOP_BROKER));
    assertEquals(1L, counts.get(Kind.KILL_POSTGRES));
    assertEquals(4L, counts.get(Kind.CANCEL));
    assertEquals(3L, counts.get(Kind.CANCEL_DURING_RESTART));
    assertEquals(2L, counts.get(Kind.CANCEL_WHILE_DOWN));
    for (int i = 1; i < plan.size(); i++) {
      assertTrue(plan.get(i - 1).atMillis() <= plan.get(i).atMillis(), "in time order");
    }
  }

  @Test
  void aCancellationComesAfterTheSubmissionOfItsJob() {
    List<Action> plan = ChaosSuite.plan(options("--cancels", "20"), new Random(3));
    for (int i = 0; i < plan.size(); i++) {
      Action action = plan.get(i);
      if (action.kind() == Kind.CANCEL) {
        boolean submittedBefore =
            plan.subList(0, i).stream()
                .anyMatch(a -> a.kind() == Kind.SUBMIT && a.job() == action.job());
        assertTrue(submittedBefore, "job " + action.job() + " is submitted before its cancel");
      }
    }
  }

  @Test
  void optionsSayWhatIsWrong() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> options("--jobs", "many"));
    assertEquals("--jobs must be a whole number, not 'many'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> options("--worker-kills", "-1"));
    assertEquals("--worker-kills must be at least 0, not -1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> options("--kill-everything"));
    assertEquals("unknown option '--kill-everything'", e.getMessage());
  }

  @Test
  void theExpectedResultIsTheSimulatedStagesFinalState() {
    // gpu-worker/simulated's SimulatedStage: zero steps leave the seeded state untouched, and
    // every step changes it.
    assertEquals(5L * 31 + 2, ChaosSuite.uninterrupted(5, Stage.FUSION, 0));
    assertNotEquals(
        ChaosSuite.uninterrupted(5, Stage.FUSION, 29),
        ChaosSuite.uninterrupted(5, Stage.FUSION, 30));
  }
}
