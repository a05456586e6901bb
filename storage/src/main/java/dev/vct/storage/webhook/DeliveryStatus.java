package dev.vct.storage.webhook;

import dev.vct.storage.persistence.CodedEnum;
import dev.vct.storage.persistence.CodedEnumConverter;

/** Where a webhook delivery is: still being tried, or done either way. */
public enum DeliveryStatus implements CodedEnum {
  PENDING,
  DELIVERED,
  FAILED;

  @Override
  public String code() {
    return CodedEnum.codeOf(this);
  }

  /** Stores the status as its text code. */
  public static final class Converter extends CodedEnumConverter<DeliveryStatus> {
    public Converter() {
      super(DeliveryStatus.class);
    }
  }
}
