package dev.vct.storage.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.vct.storage.persistence.CodedEnum;
import dev.vct.storage.persistence.CodedEnumConverter;

/** Where one stage of a job is. */
public enum StageRunStatus implements CodedEnum {
  /** Waiting for its inputs or for its retry back-off to pass. */
  PENDING,
  /**
   * Ready, but an identical run of another job (same cache key) is in flight: this one does not
   * run, it waits for that one ({@link StageRun#waitingFor}) and takes its output (single flight).
   */
  WAITING,
  /**
   * Ready, waiting for a free slot of its worker pool; the orchestrator's dispatcher sends it in
   * fair order (see dev.vct.storage.dispatch.FairOrder). Its attempt number is already the one its
   * request will carry.
   */
  QUEUED,
  /** A request is on the stage topic; no worker has reported yet. */
  DISPATCHED,
  /** A worker reported that it started; it holds a lease it renews by heartbeats. */
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED,
  /** Not run because a cached result (for example an embedding) was reused. */
  SKIPPED;

  /** True for the states a stage run never leaves. */
  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == SKIPPED;
  }

  /** True while a worker may be working on it, so a lease applies. */
  public boolean inFlight() {
    return this == DISPATCHED || this == RUNNING;
  }

  @JsonValue
  @Override
  public String code() {
    return CodedEnum.codeOf(this);
  }

  @JsonCreator
  public static StageRunStatus fromCode(String code) {
    return CodedEnum.fromCode(StageRunStatus.class, code);
  }

  /** Stores the status as its text code. */
  public static final class Converter extends CodedEnumConverter<StageRunStatus> {
    public Converter() {
      super(StageRunStatus.class);
    }
  }
}
