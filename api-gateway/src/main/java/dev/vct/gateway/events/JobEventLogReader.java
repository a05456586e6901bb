package dev.vct.gateway.events;

import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobEventEntry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.List;
import java.util.UUID;

/**
 * Reads the per-job event log the orchestrator writes ({@link JobEventEntry}, numbered 1, 2, ...
 * per job in the transaction of each change), which makes SSE streams resumable.
 */
@ApplicationScoped
public class JobEventLogReader implements JobEventStream.EventLog {
  private static final int BATCH = 200;

  /** Up to a batch of the job's events with a sequence number above {@code afterSeq}. */
  @Override
  @Transactional
  public List<LoggedEvent> after(UUID jobId, long afterSeq) {
    return JobEventEntry.after(jobId, afterSeq, BATCH).stream()
        .map(entry -> new LoggedEvent(entry.seq, JobEventView.of(entry.event())))
        .toList();
  }

  @Override
  @Transactional
  public boolean isTerminal(UUID jobId) {
    return Job.<Job>findByIdOptional(jobId).map(j -> j.status.terminal()).orElse(true);
  }
}
