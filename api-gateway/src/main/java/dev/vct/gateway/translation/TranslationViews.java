package dev.vct.gateway.translation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.vct.storage.dispatch.DispatchQueue;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.Scores;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Response bodies of the translation endpoints. */
public final class TranslationViews {
  private TranslationViews() {}

  @Schema(name = "ErrorDetail")
  public record ErrorView(String code, String message) {
    static ErrorView of(String code, String message) {
      return code == null ? null : new ErrorView(code, message);
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @Schema(name = "Links")
  public record Links(String self, String events, String cancel, String result) {
    static Links of(UUID id) {
      String self = TranslationResource.PATH + "/" + id;
      return new Links(self, self + "/events", self + "/cancel", self + "/result");
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @Schema(name = "StageProgress")
  public record StageProgressView(Integer step, Integer totalSteps, Double loss) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @Schema(name = "QueuePlace")
  public record QueueView(
      @Schema(description = "1 when this stage's request goes to its worker pool next")
          int position,
      @Schema(
              description =
                  "Requests the pool's workers handle before this one: those in flight and those"
                      + " sent before it")
          long requestsAhead) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @Schema(
      name = "WaitingFor",
      description =
          "The identical run (same input, model and inversion parameters) of another job that a"
              + " waiting stage waits for: it takes that run's embedding when it succeeds, and"
              + " runs itself when it fails or is cancelled")
  public record WaitingForView(
      @Schema(description = "The stage run this stage waits for") UUID stageRunId,
      @Schema(
              description =
                  "Its job, when that job is one of the caller's tenant's (absent for another"
                      + " tenant's job)")
          UUID jobId,
      @Schema(description = "That run's status: pending, queued, dispatched or running")
          String status) {
    /**
     * What {@code waiting} of {@code tenant}'s job may see of {@code owner}, its job {@code of}.
     */
    public static WaitingForView of(StageRun owner, Job of, UUID tenant) {
      return new WaitingForView(
          owner.id, of.tenantId.equals(tenant) ? of.id : null, owner.status.code());
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @Schema(name = "Stage")
  public record StageView(
      @Schema(example = "concept_inversion") String stage,
      @Schema(
              description =
                  "pending, waiting, queued, dispatched, running, succeeded, failed, cancelled,"
                      + " skipped. waiting: an identical inversion of another job is in flight"
                      + " (see waiting_for); this stage takes its output instead of running")
          String status,
      @Schema(
              description =
                  "While the stage waits for a worker (queued): its place in the dispatch queue")
          QueueView queue,
      @Schema(description = "While the stage is waiting: the identical run it waits for")
          WaitingForView waitingFor,
      @Schema(
              description =
                  "Why a skipped stage did not run: its embedding was found in the cache, or"
                      + " taken from the identical run it waited for")
          String skipReason,
      int attempt,
      @Schema(description = "This stage's progress, 0 to 1") double fraction,
      StageProgressView progress,
      Instant startedAt,
      Instant finishedAt,
      Long durationMs,
      ErrorView error) {
    static StageView of(StageRun run, DispatchQueue.Place place, WaitingForView waitingFor) {
      return new StageView(
          run.stage.code(),
          run.status.code(),
          place == null ? null : new QueueView(place.position(), place.requestsAhead()),
          run.status == StageRunStatus.WAITING ? waitingFor : null,
          run.skipReason,
          run.attempt,
          fraction(run),
          run.progressStep == null && run.progressTotal == null
              ? null
              : new StageProgressView(run.progressStep, run.progressTotal, run.progressLoss),
          run.startedAt,
          run.finishedAt,
          millisBetween(run.startedAt, run.finishedAt),
          ErrorView.of(run.errorCode, run.errorMessage));
    }

    static double fraction(StageRun run) {
      if (run.status == StageRunStatus.SUCCEEDED || run.status == StageRunStatus.SKIPPED) {
        return 1;
      }
      if (run.progressStep != null && run.progressTotal != null && run.progressTotal > 0) {
        return Math.min(1, Math.max(0, run.progressStep / (double) run.progressTotal));
      }
      return 0;
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @Schema(name = "Translation")
  public record TranslationView(
      UUID id,
      @Schema(description = "queued, running, succeeded, failed or cancelled") String status,
      boolean cancelRequested,
      @Schema(description = "The whole job's progress, 0 to 1") double progress,
      String modelId,
      long seed,
      @Schema(ref = TranslationParametersSchema.NAME) Map<String, Object> params,
      List<StageView> stages,
      Scores scores,
      String resultUrl,
      ErrorView error,
      Instant createdAt,
      Instant startedAt,
      Instant finishedAt,
      Long durationMs,
      Links links) {
    static TranslationView of(Job job, List<StageRun> runs) {
      return of(job, runs, Map.of(), Map.of());
    }

    /**
     * With the places of the job's queued stages in the dispatch queue, and what its waiting stages
     * wait for.
     */
    static TranslationView of(
        Job job,
        List<StageRun> runs,
        Map<Stage, DispatchQueue.Place> places,
        Map<Stage, WaitingForView> waiting) {
      List<StageView> stages =
          runs.stream()
              .map(run -> StageView.of(run, places.get(run.stage), waiting.get(run.stage)))
              .toList();
      double progress =
          job.status == JobStatus.SUCCEEDED
              ? 1
              : stages.stream().mapToDouble(StageView::fraction).sum()
                  / Math.max(stages.size(), Stage.values().length);
      return new TranslationView(
          job.id,
          job.status.code(),
          job.cancelRequested,
          progress,
          job.modelId,
          job.seed,
          job.parameters,
          stages,
          job.scores,
          job.resultKey == null ? null : Links.of(job.id).result(),
          ErrorView.of(job.errorCode, job.errorMessage),
          job.createdAt,
          job.startedAt,
          job.finishedAt,
          millisBetween(job.startedAt, job.finishedAt),
          Links.of(job.id));
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @Schema(name = "TranslationSummary")
  public record TranslationSummary(
      UUID id,
      String status,
      Scores scores,
      String resultUrl,
      ErrorView error,
      Instant createdAt,
      Instant finishedAt,
      Links links) {
    static TranslationSummary of(Job job) {
      return new TranslationSummary(
          job.id,
          job.status.code(),
          job.scores,
          job.resultKey == null ? null : Links.of(job.id).result(),
          ErrorView.of(job.errorCode, job.errorMessage),
          job.createdAt,
          job.finishedAt,
          Links.of(job.id));
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @Schema(name = "TranslationPage")
  public record TranslationPage(
      List<TranslationSummary> data,
      @Schema(description = "Pass as ?cursor= for the next page; absent on the last page")
          String nextCursor) {}

  private static Long millisBetween(Instant start, Instant end) {
    return start == null || end == null ? null : end.toEpochMilli() - start.toEpochMilli();
  }
}
