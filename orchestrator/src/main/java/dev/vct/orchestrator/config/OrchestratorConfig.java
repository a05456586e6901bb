package dev.vct.orchestrator.config;

import dev.vct.storage.job.Stage;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithDefaults;
import java.time.Duration;
import java.util.Map;

/** Every knob of the orchestrator; each is one environment variable (VCT_ORCHESTRATOR_...). */
@ConfigMapping(prefix = "vct.orchestrator")
public interface OrchestratorConfig {

  /**
   * How long a running stage keeps its lease without a heartbeat; then it is re-dispatched with a
   * higher attempt number. Must be well above the workers' heartbeat interval.
   */
  @WithDefault("60s")
  Duration lease();

  /** How often the sweeper looks for lost submissions, expired leases, retries and cancels. */
  @WithDefault("1s")
  Duration sweepInterval();

  /**
   * A queued job that has no stage runs this long after its creation is planned by the sweeper (its
   * submit message was lost or is late); planning twice is harmless.
   */
  @WithDefault("5s")
  Duration planGrace();

  /** The most rows one sweep handles per kind of work, so one sweep stays short. */
  @WithDefault("200")
  int sweepBatch();

  /**
   * How long a dispatched stage request stays valid; a worker that reads it later (the request
   * waited in its topic that long) reports it as failed instead of running it.
   */
  @WithDefault("24h")
  Duration requestTtl();

  /** Partitions of each stage topic when the orchestrator creates it: at least the most workers. */
  @WithDefault("16")
  int stageTopicPartitions();

  /** Replication factor of the topics the orchestrator creates (3 on a production cluster). */
  @WithDefault("1")
  int topicReplicationFactor();

  Retry retry();

  Dispatch dispatch();

  /**
   * Per-stage settings, keyed like the stage topics, for example {@code
   * vct.orchestrator.stages.concept-inversion.max-attempts=5}.
   */
  @WithDefaults
  Map<String, StagePolicy> stages();

  default StagePolicy stage(Stage stage) {
    return stages().get(stage.code().replace('_', '-'));
  }

  /**
   * Exponential back-off between attempts after a retryable failure: base * factor^(n-1), capped.
   */
  interface Retry {
    @WithDefault("2s")
    Duration base();

    @WithDefault("2.0")
    double factor();

    @WithDefault("5m")
    Duration cap();
  }

  /**
   * How stage requests reach the workers: each pool (the stages one consumer group of workers
   * reads) gets at most its slots' worth in flight, the rest wait in the database and go in fair
   * order (dev.vct.storage.dispatch.FairOrder).
   */
  interface Dispatch {
    /**
     * Requests in flight per stage thread of a pool's live workers. Live workers are the members of
     * the pool's consumer group that hold partitions; each says its threads ({@code
     * vct.worker.concurrency}) in its Kafka client id, and a member that does not counts as one. At
     * 2 (the default), a request waits ready behind each running one, so a worker thread that
     * finishes starts its next stage without waiting for the orchestrator to hear of it and send
     * one; the fair order then applies one request later. 1 makes the order strict.
     */
    @WithDefault("2")
    int requestsPerThread();

    /**
     * Slots of a pool whose workers the orchestrator cannot see (none is up, or the group is not
     * described): at least one request goes out, so a worker that starts finds work and an
     * autoscaler that watches the topic's lag sees some.
     */
    @WithDefault("1")
    int minSlots();

    /** The stage threads per pool, instead of reading them from the pool's group members. */
    java.util.Optional<Integer> threads();

    /**
     * How often the dispatcher looks at the queue without being woken; a replica wakes its own
     * dispatcher when it queues a run or a run leaves flight.
     */
    @WithDefault("500ms")
    Duration interval();

    /** How often the pools and their live workers are read from Kafka's consumer groups. */
    @WithDefault("2s")
    Duration poolRefresh();
  }

  interface StagePolicy {
    /** Attempts in all (the first and the retries) before the job fails with the stage's error. */
    @WithDefault("3")
    int maxAttempts();
  }
}
