package dev.vct.storage.event.kafka;

import dev.vct.storage.event.JobSubmitted;

/** Reads {@link JobSubmitted} records. */
public class JobSubmittedDeserializer extends EventDeserializer<JobSubmitted> {
  public JobSubmittedDeserializer() {
    super(JobSubmitted.class);
  }
}
