package dev.vct.storage.event.kafka;

import dev.vct.storage.event.CancelRequest;

/** Reads {@link CancelRequest} records. */
public class CancelRequestDeserializer extends EventDeserializer<CancelRequest> {
  public CancelRequestDeserializer() {
    super(CancelRequest.class);
  }
}
