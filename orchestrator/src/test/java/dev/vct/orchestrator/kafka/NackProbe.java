package dev.vct.orchestrator.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * A test channel with the orchestrator's connector-wide consumer settings: it acknowledges every
 * record except one whose value starts with {@value #NACK}, which it nacks (throws), as the
 * connector does with a record it refuses while the application stops.
 */
@ApplicationScoped
public class NackProbe {
  static final String NACK = "nack-me:";

  private final Set<String> seen = ConcurrentHashMap.newKeySet();

  /** Whether the channel handed the probe a record of this value (acknowledged or not). */
  public boolean read(String value) {
    return seen.contains(value);
  }

  @Incoming("nack-probe")
  public void consume(ConsumerRecord<String, String> record) {
    seen.add(record.value());
    if (record.value().startsWith(NACK)) {
      throw new IllegalStateException("the probe refuses " + record.value());
    }
  }
}
