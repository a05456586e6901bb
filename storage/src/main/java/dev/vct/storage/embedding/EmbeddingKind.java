package dev.vct.storage.embedding;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.vct.storage.persistence.CodedEnum;
import dev.vct.storage.persistence.CodedEnumConverter;

/** Which inversion made an embedding: of a source image (content) or a reference (concept). */
public enum EmbeddingKind implements CodedEnum {
  CONTENT,
  CONCEPT;

  @JsonValue
  @Override
  public String code() {
    return CodedEnum.codeOf(this);
  }

  @JsonCreator
  public static EmbeddingKind fromCode(String code) {
    return CodedEnum.fromCode(EmbeddingKind.class, code);
  }

  /** Stores the kind as its text code. */
  public static final class Converter extends CodedEnumConverter<EmbeddingKind> {
    public Converter() {
      super(EmbeddingKind.class);
    }
  }
}
