package dev.vct.gateway.error;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Counts refusals by code ({@code vct_gateway_rejections_total{code=...}} at /q/metrics), so a
 * dashboard shows what clients get wrong and when limits bite.
 */
@ApplicationScoped
public class RejectionMetrics {
  private final MeterRegistry registry;

  RejectionMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void rejected(ErrorCode code) {
    registry.counter("vct.gateway.rejections", "code", code.code()).increment();
  }
}
