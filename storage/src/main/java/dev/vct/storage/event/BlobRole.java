package dev.vct.storage.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.vct.storage.persistence.CodedEnum;

/** What a blob named in a stage request or result is to the stage. */
public enum BlobRole implements CodedEnum {
  SOURCE_IMAGE,
  REFERENCE_IMAGE,
  /** Content inversion's output: per-timestep content embeddings and the inverted latent. */
  CONTENT_EMBEDDING,
  /** Concept inversion's output: the learned concept token embeddings. */
  CONCEPT_EMBEDDING,
  RESULT_IMAGE;

  @JsonValue
  @Override
  public String code() {
    return CodedEnum.codeOf(this);
  }

  @JsonCreator
  public static BlobRole fromCode(String code) {
    return CodedEnum.fromCode(BlobRole.class, code);
  }
}
