package dev.vct.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.storage.job.Stage;
import dev.vct.system.JobClient.JobRow;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The fairness case, as {@code ./vct up} runs it: one worker per stage pool (inversion,
 * fusion, scoring), tenant A submits 10 longer jobs, then tenant B one quick job. Workers read
 * their topics in order, so without the orchestrator's dispatch order B's job would wait behind all
 * of A's; with it, B's job is sent on the inversion pool's next free slot and finishes before A's
 * third. Counted in the order the jobs finished, not in seconds. Real PostgreSQL, Kafka and S3
 * processes, the packaged orchestrator and simulated workers.
 */
class FairDispatchIT {

  private static final JobStack.Settings SETTINGS = PoolStack.settings(Map.of());

  /** About 2.4 s of inversions per job (two of 40 steps of 30 ms), quick fusion and scoring. */
  private static final Map<String, Object> LONGER =
      Map.of(
          "simulate.steps",
          3,
          "simulate.step-ms",
          10,
          "simulate." + Stage.CONTENT_INVERSION.code() + ".steps",
          40,
          "simulate." + Stage.CONTENT_INVERSION.code() + ".step-ms",
          30,
          "simulate." + Stage.CONCEPT_INVERSION.code() + ".steps",
          40,
          "simulate." + Stage.CONCEPT_INVERSION.code() + ".step-ms",
          30);

  private static final Map<String, Object> QUICK = Map.of("simulate.steps", 3);

  @Test
  void aQuickJobOfAnotherTenantFinishesBeforeTheThirdOfTenJobsSubmittedBeforeIt() throws Exception {
    try (JobStack stack =
            JobStack.start(Files.createTempDirectory("vct-fair-dispatch-"), SETTINGS);
        JobClient tenantA = new JobClient(stack);
        JobClient tenantB = new JobClient(stack)) {
      List<UUID> jobsOfA = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        jobsOfA.add(tenantA.submit(LONGER, i));
      }
      UUID jobOfB = tenantB.submit(QUICK, 99);

      List<UUID> all = new ArrayList<>(jobsOfA);
      Map<UUID, JobRow> done;
      try {
        done = new HashMap<>(tenantA.awaitTerminal(jobsOfA, Duration.ofSeconds(180)));
        done.putAll(tenantB.awaitTerminal(List.of(jobOfB), Duration.ofSeconds(30)));
      } catch (IllegalStateException e) {
        throw new AssertionError(e.getMessage() + stack.logTails(40), e);
      }
      all.add(jobOfB);
      for (UUID job : all) {
        assertEquals("succeeded", done.get(job).status(), () -> job + " " + done.get(job));
      }
      List<UUID> finished =
          all.stream()
              .sorted(Comparator.comparing((UUID job) -> done.get(job).finishedAt()))
              .toList();
      List<UUID> aheadOfB = finished.subList(0, finished.indexOf(jobOfB));
      System.out.printf(
          "FairDispatchIT: B's job finished after %d of A's 10 jobs (%s after A's first)%n",
          aheadOfB.size(),
          Duration.between(done.get(jobsOfA.get(0)).finishedAt(), done.get(jobOfB).finishedAt()));
      assertTrue(
          aheadOfB.size() <= 2,
          "B's job finished after " + aheadOfB.size() + " of A's jobs: " + finished);
      // A's own jobs leave the queue in the order A submitted them (same priority). The
      // orchestrator
      // takes submissions in on several threads, so the first of A's jobs it plans finds the pool's
      // slots free and is sent at once, whichever it is (docs/dispatch.md, The order); every job
      // that waited queued after it finishes in submission order.
      List<UUID> finishedOfA = finished.stream().filter(jobsOfA::contains).toList();
      List<UUID> queuedOfA = new ArrayList<>(jobsOfA);
      queuedOfA.remove(finishedOfA.get(0));
      assertEquals(queuedOfA, finishedOfA.subList(1, finishedOfA.size()), () -> "" + finished);
    }
  }
}
