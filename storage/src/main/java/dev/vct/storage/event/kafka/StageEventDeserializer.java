package dev.vct.storage.event.kafka;

import dev.vct.storage.event.StageEvent;

/** Reads {@link StageEvent} records. */
public class StageEventDeserializer extends EventDeserializer<StageEvent> {
  public StageEventDeserializer() {
    super(StageEvent.class);
  }
}
