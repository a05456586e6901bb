package dev.vct.storage.job;

import static dev.vct.storage.job.Stage.CONCEPT_INVERSION;
import static dev.vct.storage.job.Stage.CONTENT_INVERSION;
import static dev.vct.storage.job.Stage.FUSION;

import dev.vct.storage.persistence.CodedEnum;
import java.util.Arrays;
import java.util.Set;

/**
 * The knobs a job's {@link Job#parameters} may hold (their codes are the snake_case keys) and the
 * stages that read each one. The worker refuses a knob not listed here; the orchestrator keys an
 * inversion's cached embedding by the knobs that inversion reads, so changing a fusion knob still
 * reuses both inversions.
 */
public enum JobParameter implements CodedEnum {
  CONCEPT_STEPS(CONCEPT_INVERSION),
  CONCEPT_TOKENS(CONCEPT_INVERSION),
  INITIALIZER_WORD(CONCEPT_INVERSION),
  CONCEPT_LEARNING_RATE(CONCEPT_INVERSION),
  CONCEPT_L1_WEIGHT(CONCEPT_INVERSION),
  /**
   * Present only when the client chose the seed (it always lives in {@link Job#seed} too): a chosen
   * seed promises a reproducible result, so the concept inversion it drives is cached per seed; a
   * seed the gateway drew at random promises nothing, and the learned concept is shared.
   */
  SEED(CONCEPT_INVERSION),
  CONTENT_LEARNING_RATE(CONTENT_INVERSION),
  CONTENT_INNER_STEPS(CONTENT_INVERSION),
  CONTENT_EARLY_STOP_EPSILON(CONTENT_INVERSION),
  DDIM_STEPS(CONTENT_INVERSION),
  /** Content inversion's inner steps guide with it as well as fusion's denoising. */
  GUIDANCE_SCALE(CONTENT_INVERSION, FUSION),
  RESOLUTION(CONTENT_INVERSION, CONCEPT_INVERSION),
  SELF_INJECTION_RATIO(FUSION),
  CROSS_INJECTION_RATIO(FUSION),
  CORRECTED_TOKEN_INDEXING(FUSION),
  /**
   * The job's place among its tenant's jobs in the dispatch queue ({@link Job#priority}); no stage
   * reads it, so it changes no result and no cache key.
   */
  PRIORITY;

  private final Set<Stage> readBy;

  JobParameter(Stage... readBy) {
    this.readBy = Set.of(readBy);
  }

  @Override
  public String code() {
    return CodedEnum.codeOf(this);
  }

  /** The stages whose output depends on this knob. */
  public Set<Stage> readBy() {
    return readBy;
  }

  /**
   * Whether the knob named {@code code} may change {@code stage}'s output; a name this table does
   * not know may change anything.
   */
  public static boolean mayAffect(String code, Stage stage) {
    return Arrays.stream(values())
        .filter(p -> p.code().equals(code))
        .findFirst()
        .map(p -> p.readBy.contains(stage))
        .orElse(true);
  }
}
