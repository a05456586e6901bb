package dev.vct.gateway.events;

import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.List;
import java.util.UUID;

/**
 * Reads the per-job event log the orchestrator writes ({@code job_events}, numbered 1, 2, ... per
 * job in the transaction of each change), which makes SSE streams resumable.
 */
@ApplicationScoped
public class JobEventLogReader {
  private static final int BATCH = 200;

  private final EntityManager em;

  JobEventLogReader(EntityManager em) {
    this.em = em;
  }

  /** Up to a batch of the job's events with a sequence number above {@code afterSeq}. */
  @Transactional
  public List<LoggedEvent> after(UUID jobId, long afterSeq) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "select seq, cast(payload as text) from job_events"
                    + " where job_id = ?1 and seq > ?2 order by seq limit ?3")
            .setParameter(1, jobId)
            .setParameter(2, afterSeq)
            .setParameter(3, BATCH)
            .getResultList();
    return rows.stream()
        .map(
            row ->
                new LoggedEvent(
                    ((Number) row[0]).longValue(),
                    JobEventView.of(EventJson.decode((String) row[1], JobEvent.class))))
        .toList();
  }
}
