package dev.vct.orchestrator.dispatch;

import static dev.vct.storage.job.Stage.CONCEPT_INVERSION;
import static dev.vct.storage.job.Stage.CONTENT_INVERSION;
import static dev.vct.storage.job.Stage.FUSION;
import static dev.vct.storage.job.Stage.SCORING;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vct.orchestrator.dispatch.WorkerPools.Group;
import dev.vct.orchestrator.dispatch.WorkerPools.Pool;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorkerPoolsTest {

  @Test
  void eachGroupIsAPoolAndAStageNoGroupReadsIsAPoolWithoutWorkers() {
    assertEquals(
        List.of(
            new Pool(List.of(CONTENT_INVERSION, CONCEPT_INVERSION), 3),
            new Pool(List.of(FUSION), 2),
            new Pool(List.of(SCORING), 0)),
        WorkerPools.split(
            List.of(
                new Group(Set.of(FUSION), 2),
                new Group(Set.of(CONCEPT_INVERSION, CONTENT_INVERSION), 3))));
  }

  @Test
  void groupsThatShareAStageMakeOnePoolAndTheirThreadsAddUp() {
    assertEquals(
        List.of(
            new Pool(List.of(CONTENT_INVERSION, CONCEPT_INVERSION, FUSION), 5),
            new Pool(List.of(SCORING), 0)),
        WorkerPools.split(
            List.of(
                new Group(Set.of(CONTENT_INVERSION), 1),
                new Group(Set.of(FUSION), 2),
                new Group(Set.of(CONCEPT_INVERSION, FUSION, CONTENT_INVERSION), 2))));
  }

  @Test
  void aWorkersClientIdStatesItsThreads() {
    assertEquals(2, WorkerPools.threads("vct-worker-host-1-threads-2"));
    assertEquals(1, WorkerPools.threads("consumer-vct-workers-1"), "another client counts as one");
    assertEquals(1, WorkerPools.threads(null));
    assertEquals(1, WorkerPools.threads("vct-worker-x-threads-0"));
  }
}
