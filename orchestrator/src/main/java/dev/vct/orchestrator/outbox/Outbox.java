package dev.vct.orchestrator.outbox;

import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.VctEvent;
import dev.vct.storage.persistence.Clock;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;

/** Queues Kafka records inside the caller's transaction; they leave once it commits. */
@ApplicationScoped
public class Outbox {
  private static final Object WAKE_REGISTERED = new Object();

  @Inject TransactionSynchronizationRegistry transactions;
  @Inject OutboxRelay relay;

  /** Adds {@code event} for {@code topic}, keyed by its job id. Requires a transaction. */
  public void add(String topic, VctEvent event) {
    OutboxRecord record = new OutboxRecord();
    record.topic = topic;
    record.recordKey = event.key();
    record.payload = EventJson.encodeToString(event);
    record.createdAt = Clock.now();
    record.persist();
    wakeRelayAfterCommit();
  }

  private void wakeRelayAfterCommit() {
    if (transactions.getResource(WAKE_REGISTERED) != null) {
      return;
    }
    transactions.putResource(WAKE_REGISTERED, Boolean.TRUE);
    transactions.registerInterposedSynchronization(
        new Synchronization() {
          @Override
          public void beforeCompletion() {}

          @Override
          public void afterCompletion(int status) {
            if (status == Status.STATUS_COMMITTED) {
              relay.wake();
            }
          }
        });
  }
}
