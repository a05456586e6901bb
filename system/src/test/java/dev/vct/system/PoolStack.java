package dev.vct.system;

import dev.vct.local.KafkaBroker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stack as {@code ./vct up} runs it, for the system tests: one unsupervised worker per stage
 * pool (inversion, fusion, scoring), quick polls and a lease long enough for a loaded machine.
 */
final class PoolStack {
  private PoolStack() {}

  /**
   * The settings, the workers' environment with {@code workerEnvironment} on top (added or, for a
   * key it shares, in place of the default).
   */
  static JobStack.Settings settings(Map<String, String> workerEnvironment) {
    Map<String, String> workers =
        new HashMap<>(
            Map.of(
                "VCT_WORKER_HEARTBEAT_INTERVAL", "1s",
                "VCT_WORKER_KAFKA_POLL_TIMEOUT", "100ms",
                "VCT_WORKER_KAFKA_SESSION_TIMEOUT", "6s",
                "VCT_WORKER_DRAIN_TIMEOUT", "5s"));
    workers.putAll(workerEnvironment);
    return new JobStack.Settings(
        1,
        Map.of(
            "VCT_ORCHESTRATOR_LEASE", "10s",
            "VCT_ORCHESTRATOR_SWEEP_INTERVAL", "200ms",
            "VCT_ORCHESTRATOR_DISPATCH_POOL_REFRESH", "500ms"),
        workers,
        List.of(
            "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"),
        Map.of(
            "inversion", "content-inversion,concept-inversion",
            "fusion", "fusion",
            "scoring", "scoring"),
        false,
        KafkaBroker.Tuning.QUICK_START);
  }
}
