package dev.vct.storage.event;

import dev.vct.storage.job.Stage;
import java.util.List;

/** Kafka topic names. Every record's key is its job id ({@link VctEvent#key()}). */
public final class Topics {
  private Topics() {}

  /** {@link JobSubmitted}: gateway to orchestrator. */
  public static final String JOB_SUBMITTED = "vct.job.submitted";

  /** {@link StageRequest}s of one stage each: orchestrator to workers. */
  public static final String STAGE_CONTENT_INVERSION = "vct.stage.content-inversion";

  public static final String STAGE_CONCEPT_INVERSION = "vct.stage.concept-inversion";
  public static final String STAGE_FUSION = "vct.stage.fusion";
  public static final String STAGE_SCORING = "vct.stage.scoring";

  /** {@link StageEvent}s: workers to orchestrator. */
  public static final String STAGE_EVENTS = "vct.stage.events";

  /** {@link JobEvent}s: orchestrator to gateway. */
  public static final String JOB_EVENTS = "vct.job.events";

  /**
   * {@link CancelRequest}s: gateway to orchestrator and orchestrator to workers. Separate from the
   * stage topics because a worker busy with a partition's stage would read a cancel queued behind
   * it only after the stage ended.
   */
  public static final String JOB_CANCEL = "vct.job.cancel";

  /** Records a consumer could not handle, with the failure in the headers. */
  public static final String DEAD_LETTER = "vct.dead-letter";

  /** The topic that carries requests for {@code stage}. */
  public static String forStage(Stage stage) {
    return switch (stage) {
      case CONTENT_INVERSION -> STAGE_CONTENT_INVERSION;
      case CONCEPT_INVERSION -> STAGE_CONCEPT_INVERSION;
      case FUSION -> STAGE_FUSION;
      case SCORING -> STAGE_SCORING;
    };
  }

  /** Every topic, for creating them ahead of the services. */
  public static List<String> all() {
    return List.of(
        JOB_SUBMITTED,
        STAGE_CONTENT_INVERSION,
        STAGE_CONCEPT_INVERSION,
        STAGE_FUSION,
        STAGE_SCORING,
        STAGE_EVENTS,
        JOB_EVENTS,
        JOB_CANCEL,
        DEAD_LETTER);
  }
}
