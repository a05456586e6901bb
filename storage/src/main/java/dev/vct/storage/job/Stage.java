package dev.vct.storage.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.vct.inputs.Knob;
import dev.vct.inputs.KnobStage;
import dev.vct.storage.persistence.CodedEnum;
import dev.vct.storage.persistence.CodedEnumConverter;
import java.util.List;

/**
 * The stages of one translation. Both inversions have no inputs from other stages; fusion needs
 * both; scoring needs fusion.
 */
public enum Stage implements CodedEnum {
  CONTENT_INVERSION,
  CONCEPT_INVERSION,
  FUSION,
  SCORING;

  /** The stages whose outputs this stage reads. */
  public List<Stage> dependsOn() {
    return switch (this) {
      case CONTENT_INVERSION, CONCEPT_INVERSION -> List.of();
      case FUSION -> List.of(CONTENT_INVERSION, CONCEPT_INVERSION);
      case SCORING -> List.of(FUSION);
    };
  }

  /**
   * Whether the job parameter named {@code knob} may change this stage's output ({@link
   * Knob#readBy}); a name the table does not know may change anything. The orchestrator keys an
   * inversion's cached embedding by the knobs that inversion reads, so changing a fusion knob still
   * reuses both inversions.
   */
  public boolean mayDependOn(String knob) {
    KnobStage reader =
        switch (this) {
          case CONTENT_INVERSION -> KnobStage.CONTENT_INVERSION;
          case CONCEPT_INVERSION -> KnobStage.CONCEPT_INVERSION;
          case FUSION -> KnobStage.FUSION;
          case SCORING -> null;
        };
    if (Knob.byName(knob).isEmpty()) {
      return true;
    }
    return reader != null && Knob.mayAffect(knob, reader);
  }

  @JsonValue
  @Override
  public String code() {
    return CodedEnum.codeOf(this);
  }

  @JsonCreator
  public static Stage fromCode(String code) {
    return CodedEnum.fromCode(Stage.class, code);
  }

  /** Stores the stage as its text code. */
  public static final class Converter extends CodedEnumConverter<Stage> {
    public Converter() {
      super(Stage.class);
    }
  }
}
