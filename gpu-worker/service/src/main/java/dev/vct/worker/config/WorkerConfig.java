package dev.vct.worker.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Every knob of a worker; each is one environment variable (VCT_WORKER_...). */
@ConfigMapping(prefix = "vct.worker")
public interface WorkerConfig {

  /**
   * The stages this worker serves, as topic suffixes: {@code content-inversion}, {@code
   * concept-inversion}, {@code fusion}, {@code scoring}. A pool can serve one or several.
   */
  @WithDefault("content-inversion,concept-inversion,fusion,scoring")
  List<String> stages();

  /** This worker's name in events and logs; defaults to host name and process id. */
  Optional<String> id();

  /** The consumer group all workers share; Kafka spreads the stage topics' partitions over it. */
  @WithDefault("vct-workers")
  String groupId();

  /** Stage requests run at the same time (one GPU: one). */
  @WithDefault("1")
  int concurrency();

  /** How often a running stage reports that it is alive; well below the orchestrator's lease. */
  @WithDefault("10s")
  Duration heartbeatInterval();

  /**
   * How long a stage's {@code started} report is held back. A stage that succeeds within it sends
   * one report, its {@code succeeded} carrying the start, which saves the orchestrator a
   * transaction; one that runs longer, or reports anything else first, sends its {@code started}
   * then (before that report). 0 sends it at once.
   */
  @WithDefault("100ms")
  Duration startedReportDelay();

  /** Progress events of one stage are sent at most this often. */
  @WithDefault("1s")
  Duration progressInterval();

  Checkpoint checkpoint();

  /**
   * When Kafka moves a busy partition to another worker, how long the rebalance waits for the
   * running stage to stop (within one UNet pass) and checkpoint its last completed step, so that
   * the new owner resumes exactly there and never runs the stage at the same time; past that the
   * stage is stopped without waiting (see StageConsumerLoop).
   */
  @WithDefault("5s")
  Duration handoverTimeout();

  Kafka kafka();

  AttemptCheck attemptCheck();

  /**
   * On shutdown, how long to wait for the running stage to stop (within one UNet pass), checkpoint
   * its last completed step and give the work back; past that the process exits and the
   * orchestrator's lease recovers the stage.
   */
  @WithDefault("60s")
  Duration drainTimeout();

  interface Checkpoint {
    /** Save the state after this many steps... */
    @WithDefault("50")
    int everySteps();

    /** ...or when this much time passed since the last save, whichever comes first. */
    @WithDefault("60s")
    Duration every();
  }

  /**
   * The check of each stage request against the orchestrator's database, before it starts and while
   * it runs (see dev.vct.worker.run.AttemptCheck): an attempt whose job ended or that a newer
   * attempt superseded never starts, and a running one stops within one UNet pass of the check.
   */
  interface AttemptCheck {
    /** How long one query may take before it counts as failed (and is asked again). */
    @WithDefault("5s")
    Duration timeout();

    /**
     * How often a running attempt is checked again: the bound on how long it runs on when its stop
     * message does not reach this worker (the message usually stops it within one UNet pass).
     */
    @WithDefault("10s")
    Duration every();

    /**
     * While the database does not answer, a request waits (it is never skipped) and is checked
     * again after 200 ms, doubling up to this.
     */
    @WithDefault("5s")
    Duration retryCap();
  }

  /** Consumer settings of the stage-request loop (see StageConsumerLoop for why). */
  interface Kafka {
    /** How long one poll waits for records; also how quickly the loop notices finished stages. */
    @WithDefault("200ms")
    Duration pollTimeout();

    /**
     * Kafka's fetch.max.wait.ms: how long the broker holds a fetch that finds no new request. A
     * partition the loop resumes (its request finished) is fetched only once the fetch in flight
     * answers, which left out that paused partition: with Kafka's 500 ms, a request that arrived
     * while its partition was busy could wait that long after the partition was free again. Each
     * fetch that times out costs the broker: at 20 ms, its young collections came 45 % more often
     * in ./vct bench jobs (docs/bench-jobs.md, session 9).
     */
    @WithDefault("100ms")
    Duration fetchMaxWait();

    /**
     * Kafka's max.poll.interval.ms. The loop polls every {@link #pollTimeout()} even while a stage
     * runs, so this bounds a stuck loop, not a long stage.
     */
    @WithDefault("5m")
    Duration maxPollInterval();

    /** Partitions of the topics a worker creates when it starts before the orchestrator. */
    @WithDefault("16")
    int topicPartitions();

    @WithDefault("1")
    short topicReplicationFactor();

    /** Kafka's session.timeout.ms: how soon the group notices a dead worker. */
    @WithDefault("30s")
    Duration sessionTimeout();
  }
}
