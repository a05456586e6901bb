package dev.vct.storage.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.vct.storage.persistence.CodedEnum;
import dev.vct.storage.persistence.CodedEnumConverter;

/** Where a job is in its life. Only the orchestrator changes it. */
public enum JobStatus implements CodedEnum {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  /** True for the states a job never leaves. */
  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }

  @JsonValue
  @Override
  public String code() {
    return CodedEnum.codeOf(this);
  }

  @JsonCreator
  public static JobStatus fromCode(String code) {
    return CodedEnum.fromCode(JobStatus.class, code);
  }

  /** Stores the status as its text code. */
  public static final class Converter extends CodedEnumConverter<JobStatus> {
    public Converter() {
      super(JobStatus.class);
    }
  }
}
