package dev.vct.storage.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
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
