package dev.vct.storage.event.kafka;

import dev.vct.storage.event.JobEvent;

/** Reads {@link JobEvent} records. */
public class JobEventDeserializer extends EventDeserializer<JobEvent> {
  public JobEventDeserializer() {
    super(JobEvent.class);
  }
}
