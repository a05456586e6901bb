package dev.vct.storage.inbox;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.hibernate.Session;

/**
 * The log of events a consumer has handled. A consumer calls {@link #markProcessed} in the same
 * transaction as the state change an event causes; a redelivered event finds its id already there
 * and is skipped. Keyed by (consumer, event id) so that two services reading the same topic keep
 * separate logs.
 */
@Entity
@Table(name = "processed_events")
@IdClass(ProcessedEvent.Key.class)
public class ProcessedEvent extends PanacheEntityBase {

  @Id
  @Column(nullable = false, updatable = false)
  public String consumer;

  @Id
  @Column(name = "event_id", nullable = false, updatable = false)
  public UUID eventId;

  @Column(name = "processed_at", nullable = false, updatable = false)
  public Instant processedAt;

  /**
   * Records that {@code consumer} handled {@code eventId}; must run inside the transaction that
   * applies the event.
   *
   * @return true the first time, false when the event was already recorded (skip it)
   */
  public static boolean markProcessed(String consumer, UUID eventId) {
    return !markProcessed(consumer, List.of(eventId)).isEmpty();
  }

  /**
   * Records that {@code consumer} handled each of {@code eventIds}, in one statement; must run
   * inside the transaction that applies them.
   *
   * @return the ids recorded now; those missing were recorded before (skip them)
   */
  public static Set<UUID> markProcessed(String consumer, Collection<UUID> eventIds) {
    if (eventIds.isEmpty()) {
      return new HashSet<>();
    }
    Object[] ids = eventIds.stream().distinct().toArray();
    // ON CONFLICT DO NOTHING: a concurrent duplicate waits for the first transaction and then
    // is left out of the result instead of failing the whole transaction with a key violation.
    // Plain JDBC: a native query through Hibernate would flush the session first.
    return getEntityManager()
        .unwrap(Session.class)
        .doReturningWork(
            connection -> {
              try (PreparedStatement insert =
                  connection.prepareStatement(
                      "insert into processed_events (consumer, event_id, processed_at)"
                          + " select ?, e.id, now() from unnest(?::uuid[]) as e (id)"
                          + " on conflict do nothing returning event_id")) {
                insert.setString(1, consumer);
                insert.setArray(2, connection.createArrayOf("uuid", ids));
                Set<UUID> recorded = new HashSet<>();
                try (ResultSet rows = insert.executeQuery()) {
                  while (rows.next()) {
                    recorded.add(rows.getObject(1, UUID.class));
                  }
                }
                return recorded;
              }
            });
  }

  public static boolean wasProcessed(String consumer, UUID eventId) {
    return count("consumer = ?1 and eventId = ?2", consumer, eventId) > 0;
  }

  /**
   * Forgets events processed before {@code cutoff}; run it with a cutoff far beyond the longest
   * time a redelivery can take (the topics' retention).
   *
   * @return how many records were removed
   */
  public static long purgeBefore(Instant cutoff) {
    return delete("processedAt < ?1", cutoff);
  }

  /** The composite primary key. */
  public static final class Key implements Serializable {
    public String consumer;
    public UUID eventId;

    public Key() {}

    public Key(String consumer, UUID eventId) {
      this.consumer = consumer;
      this.eventId = eventId;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key other
          && Objects.equals(consumer, other.consumer)
          && Objects.equals(eventId, other.eventId);
    }

    @Override
    public int hashCode() {
      return Objects.hash(consumer, eventId);
    }
  }
}
