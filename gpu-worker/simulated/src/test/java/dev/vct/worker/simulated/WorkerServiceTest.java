package dev.vct.worker.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.local.test.S3TestResource;
import dev.vct.storage.blob.BlobStore;
import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.CancelRequest;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.event.StageEvent;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.event.Topics;
import dev.vct.storage.event.VctEvent;
import dev.vct.storage.job.Stage;
import dev.vct.worker.run.StageConsumerLoop;
import dev.vct.worker.stage.StageExecutor;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worker service in this JVM with the simulated stages, against a real Kafka broker, a real S3
 * server and a real PostgreSQL server; the test plays the orchestrator (sends stage requests, reads
 * stage events, writes the rows the worker checks a request against). A request whose stage run has
 * no row runs (the check needs positive evidence to skip one).
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = S3TestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = OrchestratorDatabase.class, restrictToAnnotatedClass = false)
class WorkerServiceTest {

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @Inject BlobStore blobs;
  @Inject MeterRegistry registry;
  @Inject StageConsumerLoop loop;
  @Inject Instance<StageExecutor> allExecutors;

  private KafkaConsumer<String, String> events;
  private KafkaProducer<String, String> producer;
  private final List<String> seen = new ArrayList<>();

  @BeforeEach
  void connect() {
    events =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG,
                "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new StringDeserializer());
    events.subscribe(List.of(Topics.STAGE_EVENTS, Topics.DEAD_LETTER));
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.LINGER_MS_CONFIG,
                0),
            new StringSerializer(),
            new StringSerializer());
  }

  @AfterEach
  void close() {
    events.close();
    producer.close();
  }

  @Test
  void onlyTheSimulatedExecutorsAreInstalled() {
    List<StageExecutor> executors = allExecutors.stream().toList();
    assertEquals(Stage.values().length, executors.size(), "one executor per stage");
    assertTrue(
        executors.stream().allMatch(e -> e instanceof SimulatedStage),
        "the engine's executors are left out of this build: " + executors);
  }

  @Test
  void stageLongerThanMaxPollIntervalRunsOnceWithoutARebalance() {
    double revokedBefore = rebalances();
    // 25 steps of 200 ms: 5 s, over twice the test's max.poll.interval.ms of 2 s.
    StageRequest request = request(Stage.FUSION, UUID.randomUUID(), 1, 25, 200);
    send(Topics.forStage(request.stage()), request);
    await(StageEvent.Started.class, request, Duration.ofSeconds(30));
    sleep(Duration.ofMillis(2_500));
    assertTrue(
        Duration.between(loop.lastPoll(), Instant.now()).toMillis() < 1_000,
        "the consumer keeps polling while the stage runs");
    await(StageEvent.Succeeded.class, request, Duration.ofSeconds(30));
    sleep(Duration.ofMillis(500));
    assertEquals(1, count(StageEvent.Started.class, request), "the request ran exactly once");
    assertEquals(revokedBefore, rebalances(), "no partition was revoked");
    assertTrue(count(StageEvent.Heartbeat.class, request) >= 5, "heartbeats while running");
  }

  @Test
  void aQuickStageReportsItsStartWithItsSuccessAndSendsNoStarted() {
    StageRequest quick = request(Stage.FUSION, UUID.randomUUID(), 1, 0, 0);
    Instant sent = Instant.now();
    send(Topics.forStage(quick.stage()), quick);
    StageEvent.Succeeded done =
        (StageEvent.Succeeded) await(StageEvent.Succeeded.class, quick, Duration.ofSeconds(30));
    sleep(Duration.ofMillis(2_500)); // past the started-report delay of this test's worker

    StageEvent.AttemptStart start = done.unreportedStart();
    assertTrue(start != null, "the success carries the start");
    assertEquals(null, start.resumedFromStep());
    assertTrue(!start.workerId().isBlank());
    assertTrue(
        !start.startedAt().isBefore(sent.minusSeconds(1))
            && !start.startedAt().isAfter(done.occurredAt()),
        "started at " + start.startedAt() + ", succeeded at " + done.occurredAt());
    assertEquals(0, count(StageEvent.Started.class, quick), "no separate started");
    assertEquals(1, count(StageEvent.Succeeded.class, quick));
  }

  @Test
  void aStageWithStepsSendsItsStartedBeforeItsFirstProgressAndNoStartWithItsSuccess() {
    StageRequest stepped = request(Stage.SCORING, UUID.randomUUID(), 1, 3, 0);
    send(Topics.forStage(stepped.stage()), stepped);
    StageEvent.Succeeded done =
        (StageEvent.Succeeded) await(StageEvent.Succeeded.class, stepped, Duration.ofSeconds(30));

    assertEquals(null, done.unreportedStart(), "the start went out with the first progress");
    List<String> order =
        seen.stream()
            .filter(v -> v.contains(stepped.stageRunId().toString()))
            .map(v -> EventJson.decode(v, StageEvent.class).getClass().getSimpleName())
            .toList();
    assertEquals("Started", order.get(0), "events " + order);
    assertEquals(1, order.stream().filter("Started"::equals).count(), "events " + order);
    assertEquals("Progress", order.get(1), "events " + order);
    assertEquals("Succeeded", order.get(order.size() - 1), "events " + order);
  }

  @Test
  void resumedStageEndsWithTheSameResultAsAnUninterruptedOne() {
    UUID job = UUID.randomUUID();
    StageRequest whole = request(Stage.CONCEPT_INVERSION, job, 1, 30, 20);
    send(Topics.forStage(whole.stage()), whole);
    await(StageEvent.Succeeded.class, whole, Duration.ofSeconds(30));
    String uninterrupted = read(whole.output(BlobRole.CONCEPT_EMBEDDING));

    // The same computation (same seed, another stage run), cancelled after a checkpoint...
    UUID interruptedJob = UUID.randomUUID();
    StageRequest first = request(Stage.CONCEPT_INVERSION, interruptedJob, 1, 30, 100);
    send(Topics.forStage(first.stage()), first);
    StageEvent.Checkpointed checkpoint =
        (StageEvent.Checkpointed)
            await(StageEvent.Checkpointed.class, first, Duration.ofSeconds(30));
    send(Topics.JOB_CANCEL, CancelRequest.of(interruptedJob, UUID.randomUUID(), "test"));
    await(StageEvent.Cancelled.class, first, Duration.ofSeconds(30));
    assertTrue(blobs.exists(checkpoint.checkpointKey()));

    // ...and started again as attempt 2, on a worker that knows nothing about the first run.
    StageRequest second = withAttempt(first, 2);
    blobs.delete(second.output(BlobRole.CONCEPT_EMBEDDING));
    send(Topics.forStage(second.stage()), withJob(second, UUID.randomUUID()));
    StageEvent.Started started =
        (StageEvent.Started) await(StageEvent.Started.class, second, Duration.ofSeconds(30));
    assertTrue(
        started.resumedFromStep() != null && started.resumedFromStep() >= checkpoint.step(),
        "resumed from step " + started.resumedFromStep() + ", checkpoint was " + checkpoint.step());
    await(StageEvent.Succeeded.class, second, Duration.ofSeconds(30));
    assertEquals(uninterrupted, read(second.output(BlobRole.CONCEPT_EMBEDDING)));
  }

  @Test
  void cancelStopsTheStageWithinOneStepAndFreesTheWorker() {
    UUID job = UUID.randomUUID();
    StageRequest running = request(Stage.CONTENT_INVERSION, job, 1, 200, 100);
    send(Topics.forStage(running.stage()), running);
    await(StageEvent.Started.class, running, Duration.ofSeconds(30));
    await(StageEvent.Progress.class, running, Duration.ofSeconds(30));
    Instant cancelledAt = Instant.now();
    send(Topics.JOB_CANCEL, CancelRequest.of(job, UUID.randomUUID(), "test"));
    await(StageEvent.Cancelled.class, running, Duration.ofSeconds(30));
    long stopMillis = Duration.between(cancelledAt, Instant.now()).toMillis();
    assertTrue(stopMillis < 2_000, "stopped " + stopMillis + " ms after the cancel");
    assertTrue(count(StageEvent.Succeeded.class, running) == 0);

    StageRequest next = request(Stage.CONTENT_INVERSION, UUID.randomUUID(), 1, 2, 0);
    send(Topics.forStage(next.stage()), next);
    await(StageEvent.Succeeded.class, next, Duration.ofSeconds(30));
  }

  @Test
  void aJobsCancelLeavesItsRunThatTheDatabaseKeepsForOtherJobs() {
    StageRequest kept = request(Stage.CONCEPT_INVERSION, UUID.randomUUID(), 1, 80, 50);
    // Its job was cancelled, but other jobs wait for this concept inversion (single flight): the
    // orchestrator kept its stage run running.
    OrchestratorDatabase.record(kept.run(), "cancelled", "running");
    send(Topics.forStage(kept.stage()), kept);
    await(StageEvent.Progress.class, kept, Duration.ofSeconds(30));
    send(Topics.JOB_CANCEL, CancelRequest.of(kept.jobId(), UUID.randomUUID(), "test"));
    await(StageEvent.Succeeded.class, kept, Duration.ofSeconds(30));
    assertEquals(0, count(StageEvent.Cancelled.class, kept), "not stopped by the job's cancel");
  }

  @Test
  void attemptCancelStopsOnlyThatAttemptWithACheckpointAndTheNextAttemptRunsAtOnce() {
    UUID job = UUID.randomUUID();
    UUID tenant = UUID.randomUUID();
    StageRequest stale = request(Stage.CONTENT_INVERSION, job, 1, 200, 100);
    send(Topics.forStage(stale.stage()), stale);
    await(StageEvent.Started.class, stale, Duration.ofSeconds(30));
    await(StageEvent.Checkpointed.class, stale, Duration.ofSeconds(30));
    // Attempt 2 of the same stage run, fast, queued behind attempt 1 in the same partition.
    StageRequest newer = withParameters(withAttempt(stale, 2), 200, 0);
    send(Topics.forStage(newer.stage()), newer);

    send(Topics.JOB_CANCEL, CancelRequest.ofAttempt(newer.run(), tenant, "test"));
    int stepBefore = lastStep(stale);
    sleep(Duration.ofMillis(1_000));
    assertTrue(lastStep(stale) > stepBefore, "a cancel of another attempt does not stop it");
    assertEquals(0, count(StageEvent.Started.class, newer));

    Instant stoppedAt = Instant.now();
    send(Topics.JOB_CANCEL, CancelRequest.ofAttempt(stale.run(), tenant, "test"));
    StageEvent.Started started =
        (StageEvent.Started) await(StageEvent.Started.class, newer, Duration.ofSeconds(30));
    long nextMillis = Duration.between(stoppedAt, Instant.now()).toMillis();
    assertTrue(nextMillis < 2_000, "attempt 2 started " + nextMillis + " ms after the stop");
    int stopStep = lastStep(stale);
    assertEquals(
        Integer.valueOf(stopStep), started.resumedFromStep(), "resumed from the stop's checkpoint");
    assertTrue(stopStep < 200, "attempt 1 stopped at step " + stopStep);
    await(StageEvent.Succeeded.class, newer, Duration.ofSeconds(30));
    sleep(Duration.ofMillis(500));
    assertEquals(1, count(StageEvent.Started.class, stale), "attempt 1 was committed, not re-run");
    for (Class<? extends StageEvent> outcome :
        List.of(
            StageEvent.Succeeded.class,
            StageEvent.Failed.class,
            StageEvent.Cancelled.class,
            StageEvent.Released.class)) {
      assertEquals(0, count(outcome, stale), "no " + outcome.getSimpleName() + " for attempt 1");
    }
  }

  @Test
  void requestOfAJobThatEndedIsCommittedWithoutRunningAndTheNextRequestRuns() {
    // A cancelled job's request that no cancel message will ever name again (it was sent before
    // this worker started), and a live job's request behind it in the same partition.
    UUID job = UUID.randomUUID();
    StageRequest cancelled = request(Stage.FUSION, job, 1, 200, 100);
    OrchestratorDatabase.record(cancelled.run(), "cancelled", "cancelled");
    StageRequest next = request(Stage.FUSION, UUID.randomUUID(), 1, 2, 0);
    OrchestratorDatabase.record(next.run(), "running", "dispatched");
    send(Topics.forStage(cancelled.stage()), cancelled);
    // Keyed by the cancelled job: the same partition, behind it.
    sendKeyed(Topics.forStage(next.stage()), job, next);
    await(StageEvent.Succeeded.class, next, Duration.ofSeconds(30));
    sleep(Duration.ofMillis(300));
    for (Class<? extends StageEvent> type :
        List.of(
            StageEvent.Started.class,
            StageEvent.Progress.class,
            StageEvent.Cancelled.class,
            StageEvent.Failed.class)) {
      assertEquals(0, count(type, cancelled), "no " + type.getSimpleName() + " of the dead one");
    }
    assertTrue(skipped("cancelled") >= 1, "counted as skipped");
  }

  @Test
  void supersededAttemptNeverStartsAndTheCurrentAttemptRuns() {
    StageRequest first = request(Stage.CONTENT_INVERSION, UUID.randomUUID(), 1, 200, 100);
    StageRequest second = withParameters(withAttempt(first, 2), 3, 0);
    // The orchestrator re-dispatched the stage run as attempt 2; attempt 1's request is still
    // in the topic, ahead of attempt 2's.
    OrchestratorDatabase.record(second.run(), "running", "dispatched");
    send(Topics.forStage(first.stage()), first);
    send(Topics.forStage(second.stage()), second);
    StageEvent.Started started =
        (StageEvent.Started) await(StageEvent.Started.class, second, Duration.ofSeconds(30));
    await(StageEvent.Succeeded.class, second, Duration.ofSeconds(30));
    assertEquals(null, started.resumedFromStep(), "attempt 1 saved nothing to resume from");
    sleep(Duration.ofMillis(300));
    assertEquals(0, count(StageEvent.Started.class, first), "attempt 1 never started");
    assertEquals(0, count(StageEvent.Progress.class, first));
  }

  @Test
  void requestWaitsWhileTheDatabaseDoesNotAnswerAndRunsOnceItDoes() throws Exception {
    StageRequest request = request(Stage.SCORING, UUID.randomUUID(), 1, 2, 0);
    OrchestratorDatabase.record(request.run(), "running", "dispatched");
    try (Connection locker = OrchestratorDatabase.connect();
        Statement lock = locker.createStatement()) {
      // Every check times out (1 s here) while the table is locked: a transient failure.
      locker.setAutoCommit(false);
      lock.execute("lock table stage_runs in access exclusive mode");
      send(Topics.forStage(request.stage()), request);
      long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
      while (System.nanoTime() < until) {
        poll();
      }
      assertEquals(0, count(StageEvent.Started.class, request), "not started without an answer");
      locker.rollback();
    }
    await(StageEvent.Succeeded.class, request, Duration.ofSeconds(30));
    assertEquals(1, count(StageEvent.Started.class, request), "run once, not dropped");
  }

  @Test
  void runningAttemptStopsWithinAStepOnceTheDatabaseSaysItsJobEndedWithoutAnyMessage() {
    StageRequest running = request(Stage.CONCEPT_INVERSION, UUID.randomUUID(), 1, 300, 100);
    OrchestratorDatabase.record(running.run(), "running", "running");
    send(Topics.forStage(running.stage()), running);
    await(StageEvent.Progress.class, running, Duration.ofSeconds(30));
    Instant ended = Instant.now();
    // No cancel message: only the worker's periodic check (every 1 s here) can see it.
    OrchestratorDatabase.endJob(running.jobId(), "failed");
    await(StageEvent.Cancelled.class, running, Duration.ofSeconds(30));
    long stopMillis = Duration.between(ended, Instant.now()).toMillis();
    assertTrue(stopMillis < 3_000, "stopped " + stopMillis + " ms after the job ended");
    assertTrue(lastStep(running) < 300, "stopped at step " + lastStep(running));
  }

  @Test
  void undecodableRequestGoesToTheDeadLetterTopicWithoutBlockingItsPartition() {
    UUID job = UUID.randomUUID();
    String poison = "poison-" + UUID.randomUUID();
    producer.send(new ProducerRecord<>(Topics.STAGE_SCORING, job.toString(), poison));
    StageRequest after = request(Stage.SCORING, job, 1, 1, 0);
    send(Topics.forStage(after.stage()), after);
    StageEvent.Succeeded done =
        (StageEvent.Succeeded) await(StageEvent.Succeeded.class, after, Duration.ofSeconds(30));
    assertTrue(done.metrics().containsKey("lpips"));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (seen.stream().noneMatch(v -> v.equals(poison)) && System.nanoTime() < until) {
      poll();
    }
    assertTrue(seen.contains(poison), "the poison record is on " + Topics.DEAD_LETTER);
  }

  private StageRequest request(Stage stage, UUID job, int attempt, int steps, int stepMillis) {
    UUID run = UUID.randomUUID();
    Map<BlobRole, String> outputs =
        switch (stage) {
          case CONTENT_INVERSION -> Map.of(BlobRole.CONTENT_EMBEDDING, "test/" + run + "/content");
          case CONCEPT_INVERSION -> Map.of(BlobRole.CONCEPT_EMBEDDING, "test/" + run + "/concept");
          case FUSION -> Map.of(BlobRole.RESULT_IMAGE, "test/" + run + "/result");
          case SCORING -> Map.of();
        };
    return StageRequest.of(
        new StageRunRef(job, run, stage, attempt),
        Map.of(),
        outputs,
        Map.of("simulate.steps", steps, "simulate.step-ms", stepMillis),
        null,
        "tiny",
        7L,
        Instant.now().plus(Duration.ofHours(1)));
  }

  private static StageRequest withAttempt(StageRequest r, int attempt) {
    return new StageRequest(
        UUID.randomUUID(),
        Instant.now(),
        r.jobId(),
        r.stageRunId(),
        r.stage(),
        attempt,
        r.inputKeys(),
        r.outputKeys(),
        r.parameters(),
        null,
        r.modelId(),
        r.seed(),
        r.deadline());
  }

  private static StageRequest withParameters(StageRequest r, int steps, int stepMillis) {
    return new StageRequest(
        r.eventId(),
        r.occurredAt(),
        r.jobId(),
        r.stageRunId(),
        r.stage(),
        r.attempt(),
        r.inputKeys(),
        r.outputKeys(),
        Map.of("simulate.steps", steps, "simulate.step-ms", stepMillis),
        null,
        r.modelId(),
        r.seed(),
        r.deadline());
  }

  /** The last step {@code request} reported progress for. */
  private int lastStep(StageRequest request) {
    poll();
    return stageEvents(StageEvent.Progress.class, request).stream()
        .mapToInt(e -> ((StageEvent.Progress) e).step())
        .max()
        .orElse(0);
  }

  private static StageRequest withJob(StageRequest r, UUID job) {
    return new StageRequest(
        r.eventId(),
        r.occurredAt(),
        job,
        r.stageRunId(),
        r.stage(),
        r.attempt(),
        r.inputKeys(),
        r.outputKeys(),
        r.parameters(),
        null,
        r.modelId(),
        r.seed(),
        r.deadline());
  }

  private void send(String topic, VctEvent event) {
    sendKeyed(topic, UUID.fromString(event.key()), event);
  }

  /** Sends {@code event} with {@code key}: another job's key puts it in that job's partition. */
  private void sendKeyed(String topic, UUID key, VctEvent event) {
    try {
      producer
          .send(new ProducerRecord<>(topic, key.toString(), EventJson.encodeToString(event)))
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private StageEvent await(
      Class<? extends StageEvent> type, StageRequest request, Duration timeout) {
    long until = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < until) {
      StageEvent found = find(type, request);
      if (found != null) {
        return found;
      }
      poll();
    }
    return fail(
        "no "
            + type.getSimpleName()
            + " for stage run "
            + request.stageRunId()
            + " attempt "
            + request.attempt());
  }

  private StageEvent find(Class<? extends StageEvent> type, StageRequest request) {
    return stageEvents(type, request).stream().findFirst().orElse(null);
  }

  private long count(Class<? extends StageEvent> type, StageRequest request) {
    poll();
    return stageEvents(type, request).size();
  }

  private List<StageEvent> stageEvents(Class<? extends StageEvent> type, StageRequest request) {
    Predicate<StageEvent> matches =
        e ->
            type.isInstance(e)
                && e.stageRunId().equals(request.stageRunId())
                && e.attempt() == request.attempt();
    return seen.stream()
        .filter(v -> v.contains("\"stage."))
        .map(v -> EventJson.decode(v, StageEvent.class))
        .filter(matches)
        .toList();
  }

  private void poll() {
    for (ConsumerRecord<String, String> record : events.poll(Duration.ofMillis(100))) {
      seen.add(record.value());
    }
  }

  private double skipped(String why) {
    return registry.find("vct.worker.skipped").tag("why", why).counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  private double rebalances() {
    var counter = registry.find("vct.worker.rebalances").tag("change", "revoked").counter();
    return counter == null ? 0 : counter.count();
  }

  private String read(String key) {
    try (InputStream in = blobs.open(key)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
