package dev.vct.storage.event.kafka;

import dev.vct.storage.event.VctEvent;

/** Reads {@link VctEvent} records. */
public class VctEventDeserializer extends EventDeserializer<VctEvent> {
  public VctEventDeserializer() {
    super(VctEvent.class);
  }
}
