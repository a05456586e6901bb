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
            "2",
            "--shared-reference-groups",
            "3",
            "--shared-reference-jobs",
            "5");
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
    assertEquals(3L, counts.get(Kind.SUBMIT_SHARED_REFERENCE));
    assertEquals(5, options.sharedReferenceJobs());
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
  void sharedReferenceGroupsAreSubmittedWhileTheOtherJobsAreAndTheChaosRuns() {
    Options defaults = options();
    assertEquals(2, defaults.sharedReferenceGroups());
    assertEquals(4, defaults.sharedReferenceJobs());
    Options options = options("--jobs", "40", "--shared-reference-groups", "6");
    List<Action> plan = ChaosSuite.plan(options, new Random(11));
    List<Action> groups =
        plan.stream().filter(a -> a.kind() == Kind.SUBMIT_SHARED_REFERENCE).toList();
    assertEquals(
        List.of(0, 1, 2, 3, 4, 5),
        groups.stream().map(Action::job).sorted().toList(),
        "one action per group, each group once");
    long submitting = 40L * options.submitIntervalMillis();
    for (Action group : groups) {
      assertTrue(
          group.atMillis() >= 5_000 && group.atMillis() <= submitting,
          "group submitted while the kills run, among the other submissions: " + group);
    }
    assertEquals(
        0,
        ChaosSuite.plan(options("--shared-reference-groups", "0"), new Random(11)).stream()
            .filter(a -> a.kind() == Kind.SUBMIT_SHARED_REFERENCE)
            .count());
  }

  @Test
  void optionsSayWhatIsWrong() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> options("--jobs", "many"));
    assertEquals("--jobs must be a whole number, not 'many'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> options("--worker-kills", "-1"));
    assertEquals("--worker-kills must be at least 0, not -1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> options("--shared-reference-jobs", "1"));
    assertEquals("--shared-reference-jobs must be at least 2, not 1", e.getMessage());
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
