package dev.vct.orchestrator.graph;

import static dev.vct.storage.job.Stage.CONCEPT_INVERSION;
import static dev.vct.storage.job.Stage.CONTENT_INVERSION;
import static dev.vct.storage.job.Stage.FUSION;
import static dev.vct.storage.job.Stage.SCORING;
import static dev.vct.storage.job.StageRunStatus.PENDING;
import static dev.vct.storage.job.StageRunStatus.RUNNING;
import static dev.vct.storage.job.StageRunStatus.SKIPPED;
import static dev.vct.storage.job.StageRunStatus.SUCCEEDED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StagePlanTest {

  @Test
  void bothInversionsAreReadyFirstAndInParallel() {
    var plan =
        new StagePlan(
            Map.of(
                CONTENT_INVERSION,
                PENDING,
                CONCEPT_INVERSION,
                PENDING,
                FUSION,
                PENDING,
                SCORING,
                PENDING));
    assertEquals(List.of(CONTENT_INVERSION, CONCEPT_INVERSION), plan.ready());
    assertFalse(plan.complete());
  }

  @Test
  void fusionWaitsForBothInversionsAndAcceptsACachedOne() {
    var oneRunning =
        new StagePlan(
            Map.of(
                CONTENT_INVERSION,
                RUNNING,
                CONCEPT_INVERSION,
                SKIPPED,
                FUSION,
                PENDING,
                SCORING,
                PENDING));
    assertEquals(List.of(), oneRunning.ready());
    var bothDone =
        new StagePlan(
            Map.of(
                CONTENT_INVERSION,
                SUCCEEDED,
                CONCEPT_INVERSION,
                SKIPPED,
                FUSION,
                PENDING,
                SCORING,
                PENDING));
    assertEquals(List.of(FUSION), bothDone.ready());
  }

  @Test
  void scoringFollowsFusionAndEndsTheGraph() {
    var scoring =
        new StagePlan(
            Map.of(
                CONTENT_INVERSION,
                SUCCEEDED,
                CONCEPT_INVERSION,
                SUCCEEDED,
                FUSION,
                SUCCEEDED,
                SCORING,
                PENDING));
    assertEquals(List.of(SCORING), scoring.ready());
    var done =
        new StagePlan(
            Map.of(
                CONTENT_INVERSION,
                SUCCEEDED,
                CONCEPT_INVERSION,
                SKIPPED,
                FUSION,
                SUCCEEDED,
                SCORING,
                SUCCEEDED));
    assertTrue(done.complete());
    assertEquals(List.of(), done.ready());
  }

  @Test
  void aPlanMustHaveEveryStage() {
    assertThrows(IllegalArgumentException.class, () -> new StagePlan(Map.of(FUSION, PENDING)));
  }
}
