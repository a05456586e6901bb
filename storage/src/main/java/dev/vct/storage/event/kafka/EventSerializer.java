package dev.vct.storage.event.kafka;

import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.VctEvent;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka value serializer of any {@link VctEvent} through {@link EventJson}. */
public class EventSerializer implements Serializer<VctEvent> {
  @Override
  public byte[] serialize(String topic, VctEvent event) {
    return event == null ? null : EventJson.encode(event);
  }
}
