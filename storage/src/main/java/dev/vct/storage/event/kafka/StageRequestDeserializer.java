package dev.vct.storage.event.kafka;

import dev.vct.storage.event.StageRequest;

/** Reads {@link StageRequest} records. */
public class StageRequestDeserializer extends EventDeserializer<StageRequest> {
  public StageRequestDeserializer() {
    super(StageRequest.class);
  }
}
