package dev.vct.orchestrator.outbox;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A Kafka record written in the same transaction as the state change it announces, and sent by
 * {@link OutboxRelay} after that transaction commits: a crash between the two never loses a stage
 * request, a cancel or a job event, and never sends one for a change that rolled back.
 */
@Entity
@Table(name = "outbox")
public class OutboxRecord extends PanacheEntityBase {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  @Column(nullable = false, updatable = false)
  public String topic;

  @Column(name = "record_key", nullable = false, updatable = false)
  public String recordKey;

  @Column(nullable = false, updatable = false)
  public String payload;

  @Column(name = "created_at", nullable = false, updatable = false)
  public Instant createdAt;
}
