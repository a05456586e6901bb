package dev.vct.gateway.testing;

import dev.vct.storage.blob.BlobKeys;
import dev.vct.storage.blob.BlobStore;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.JobEvent;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Job;
import dev.vct.storage.job.JobEventEntry;
import dev.vct.storage.job.JobStatus;
import dev.vct.storage.job.Scores;
import dev.vct.storage.job.Stage;
import dev.vct.storage.job.StageRun;
import dev.vct.storage.job.StageRunStatus;
import dev.vct.storage.persistence.Clock;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayInputStream;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Test code standing in for the orchestrator: writes what only the orchestrator writes (job status,
 * stage runs, the job event log, the result) and publishes its job events, so the gateway's read
 * side can be tested on its own.
 */
@ApplicationScoped
public class FakeOrchestrator {
  private final BlobStore blobs;
  private final KafkaProducer<String, byte[]> producer;

  FakeOrchestrator(
      BlobStore blobs, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap) {
    this.blobs = blobs;
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("key.serializer", StringSerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    this.producer = new KafkaProducer<>(props);
  }

  @PreDestroy
  void close() {
    producer.close();
  }

  /** queued -> running, with all four stage runs pending. */
  public void start(UUID jobId) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Job job = Job.findById(jobId);
              job.status = JobStatus.RUNNING;
              job.startedAt = Clock.now();
              for (Stage stage : Stage.values()) {
                StageRun.pending(jobId, stage).persist();
              }
              log(
                  JobEvent.StatusChanged.of(
                      jobId, job.tenantId, JobStatus.QUEUED, JobStatus.RUNNING));
            });
  }

  public void stage(UUID jobId, Stage stage, StageRunStatus status) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Job job = Job.findById(jobId);
              StageRun run = StageRun.find(jobId, stage).orElseThrow();
              run.status = status;
              if (status == StageRunStatus.RUNNING) {
                run.startedAt = Clock.now();
                run.attempt = 1;
              } else if (status.terminal()) {
                run.finishedAt = Clock.now();
              }
              log(JobEvent.StageChanged.of(jobId, job.tenantId, stage, status, run.attempt));
            });
  }

  /** Marks {@code stage} skipped as the orchestrator does on an embeddings cache hit. */
  public void skip(UUID jobId, Stage stage, String reason) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Job job = Job.findById(jobId);
              StageRun run = StageRun.find(jobId, stage).orElseThrow();
              run.status = StageRunStatus.SKIPPED;
              run.skipReason = reason;
              run.finishedAt = Clock.now();
              log(
                  JobEvent.StageChanged.of(
                      jobId, job.tenantId, stage, StageRunStatus.SKIPPED, run.attempt));
            });
  }

  /**
   * Marks {@code stage} of {@code jobId} waiting for the same stage of {@code ownerJobId}, as the
   * orchestrator does when an identical inversion is in flight (single flight).
   */
  public void waitFor(UUID jobId, Stage stage, UUID ownerJobId) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Job job = Job.findById(jobId);
              StageRun run = StageRun.find(jobId, stage).orElseThrow();
              run.status = StageRunStatus.WAITING;
              run.waitingFor = StageRun.find(ownerJobId, stage).orElseThrow().id;
              log(
                  JobEvent.StageChanged.of(
                      jobId, job.tenantId, stage, StageRunStatus.WAITING, run.attempt));
            });
  }

  public void progress(UUID jobId, Stage stage, int step, int total) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Job job = Job.findById(jobId);
              StageRun run = StageRun.find(jobId, stage).orElseThrow();
              run.progressStep = step;
              run.progressTotal = total;
              run.progressLoss = 0.5 / step;
              log(
                  JobEvent.Progress.of(
                      jobId,
                      job.tenantId,
                      stage,
                      step,
                      total,
                      0.5 / step,
                      step / (double) total / 4));
            });
  }

  /** Runs every stage to success and finishes the job with {@code resultPng}. */
  public void succeed(UUID jobId, byte[] resultPng, Scores scores) {
    for (Stage stage : Stage.values()) {
      stage(jobId, stage, StageRunStatus.RUNNING);
      progress(jobId, stage, 1, 2);
      progress(jobId, stage, 2, 2);
      stage(jobId, stage, StageRunStatus.SUCCEEDED);
    }
    String key = BlobKeys.result(jobId);
    blobs.put(key, new ByteArrayInputStream(resultPng), resultPng.length, "image/png");
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Job job = Job.findById(jobId);
              job.status = JobStatus.SUCCEEDED;
              job.resultKey = key;
              job.scores = scores;
              job.finishedAt = Clock.now();
              log(
                  JobEvent.StatusChanged.of(
                      jobId, job.tenantId, JobStatus.RUNNING, JobStatus.SUCCEEDED));
              log(JobEvent.Completed.succeeded(jobId, job.tenantId, key, scores));
            });
  }

  public void fail(UUID jobId, String code, String message) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Job job = Job.findById(jobId);
              job.status = JobStatus.FAILED;
              job.errorCode = code;
              job.errorMessage = message;
              job.finishedAt = Clock.now();
              log(JobEvent.Completed.failed(jobId, job.tenantId, code, message));
            });
  }

  /** Appends to the job's event log (next sequence number) and publishes the event. */
  private void log(JobEvent event) {
    JobEventEntry.append(event.jobId(), JobEventEntry.lastSeq(event.jobId()) + 1, event);
    producer.send(new ProducerRecord<>(Topics.JOB_EVENTS, event.key(), EventJson.encode(event)));
  }
}
