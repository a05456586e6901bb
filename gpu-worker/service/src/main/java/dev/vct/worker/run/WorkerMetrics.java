package dev.vct.worker.run;

import dev.vct.storage.job.Stage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;

/** The worker's meters (Prometheus at /q/metrics); Kafka consumer lag comes from the client. */
@ApplicationScoped
public class WorkerMetrics {
  @Inject MeterRegistry registry;

  /** One attempt ended; {@code outcome} is succeeded, failed, cancelled, released, reassigned. */
  void stageEnded(Stage stage, String outcome, Duration ran) {
    Timer.builder("vct.worker.stage.duration")
        .description("Time a stage attempt ran on this worker")
        .tag("stage", stage.code())
        .tag("outcome", outcome)
        .publishPercentileHistogram()
        .register(registry)
        .record(ran);
  }

  /** From the orchestrator's dispatch to this worker's start: time spent queued in the topic. */
  void queued(Stage stage, Duration waited) {
    Timer.builder("vct.worker.queue.lag")
        .description("Time from dispatching a stage request to a worker starting it")
        .tag("stage", stage.code())
        .publishPercentileHistogram()
        .register(registry)
        .record(waited);
  }

  /**
   * A request committed without running: its stage run was cancelled ({@code cancelled}), or its
   * attempt was superseded or had ended ({@code superseded}).
   */
  void skipped(Stage stage, String why) {
    registry.counter("vct.worker.skipped", "stage", stage.code(), "why", why).increment();
  }

  void resumed(Stage stage) {
    registry.counter("vct.worker.resumes", "stage", stage.code()).increment();
  }

  void checkpointed(Stage stage) {
    registry.counter("vct.worker.checkpoints", "stage", stage.code()).increment();
  }

  public void deadLettered(String topic) {
    registry.counter("vct.worker.dead.letters", "topic", topic).increment();
  }

  public void rebalanced(String change) {
    registry.counter("vct.worker.rebalances", "change", change).increment();
  }
}
