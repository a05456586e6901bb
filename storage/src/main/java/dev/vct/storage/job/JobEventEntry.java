package dev.vct.storage.job;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.event.VctEvent;
import dev.vct.storage.persistence.Clock;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * One entry of a job's event log: the orchestrator appends a {@link JobEvent} in the transaction of
 * the change it describes, numbered {@link #seq} 1, 2, ... per job; the gateway replays the log
 * after the last number an SSE client saw ({@code Last-Event-ID}). The same events go to Kafka.
 */
@Entity
@Table(name = "job_events")
public class JobEventEntry extends PanacheEntityBase {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  @Column(name = "job_id", nullable = false, updatable = false)
  public UUID jobId;

  @Column(nullable = false, updatable = false)
  public long seq;

  @Column(name = "event_id", nullable = false, updatable = false)
  public UUID eventId;

  /** The event's JSON type name, for example {@code job.status-changed}. */
  @Column(nullable = false, updatable = false)
  public String type;

  /** The event as {@link EventJson} writes it. */
  @JdbcTypeCode(SqlTypes.JSON)
  @Column(nullable = false, updatable = false, columnDefinition = "jsonb")
  public String payload;

  @Column(name = "created_at", nullable = false, updatable = false)
  public Instant createdAt;

  /**
   * Appends {@code event} as number {@code seq} of its job's log; the caller holds the job lock.
   */
  public static JobEventEntry append(UUID jobId, long seq, JobEvent event) {
    JobEventEntry entry = new JobEventEntry();
    entry.jobId = jobId;
    entry.seq = seq;
    entry.eventId = event.eventId();
    entry.payload = EventJson.encodeToString(event);
    entry.type = typeName(event);
    entry.createdAt = Clock.now();
    entry.persist();
    return entry;
  }

  /** The highest sequence number of the job's log, 0 when it is empty. */
  public static long lastSeq(UUID jobId) {
    Long last =
        getEntityManager()
            .createQuery("select max(e.seq) from JobEventEntry e where e.jobId = ?1", Long.class)
            .setParameter(1, jobId)
            .getSingleResult();
    return last == null ? 0 : last;
  }

  /** The job's events numbered above {@code afterSeq}, in order, at most {@code limit}. */
  public static List<JobEventEntry> after(UUID jobId, long afterSeq, int limit) {
    return find("jobId = ?1 and seq > ?2 order by seq", jobId, afterSeq).page(0, limit).list();
  }

  /** The event's JSON type name, what {@link #type} holds. */
  public static String typeName(JobEvent event) {
    for (JsonSubTypes.Type type : VctEvent.class.getAnnotation(JsonSubTypes.class).value()) {
      if (type.value() == event.getClass()) {
        return type.name();
      }
    }
    throw new IllegalStateException(event.getClass() + " is not registered in VctEvent");
  }

  public JobEvent event() {
    return EventJson.decode(payload, JobEvent.class);
  }
}
