package dev.vct.storage.event.kafka;

import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.VctEvent;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka value deserializer of events of one type through {@link EventJson}; a subclass per type
 * gives Kafka's configuration the no-argument class it wants. Throws {@link
 * dev.vct.storage.event.EventDecodingException} on a malformed record.
 */
public abstract class EventDeserializer<T extends VctEvent> implements Deserializer<T> {

  private final Class<T> type;

  protected EventDeserializer(Class<T> type) {
    this.type = type;
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    return data == null ? null : EventJson.decode(data, type);
  }
}
