package dev.vct.orchestrator.job;

import dev.vct.orchestrator.outbox.Outbox;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.JobEventEntry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Appends a job event to the job's persisted log (numbered 1, 2, ... per job, what the gateway
 * replays when an SSE client resumes) and queues it for {@link Topics#JOB_EVENTS}, both in the
 * transaction of the change it describes. Callers hold the job's row lock, which keeps the
 * numbering gap-free.
 */
@ApplicationScoped
public class JobEventLog {
  @Inject Outbox outbox;

  public void append(JobEvent event) {
    JobEventEntry.append(event.jobId(), JobEventEntry.lastSeq(event.jobId()) + 1, event);
    outbox.add(Topics.JOB_EVENTS, event);
  }
}
