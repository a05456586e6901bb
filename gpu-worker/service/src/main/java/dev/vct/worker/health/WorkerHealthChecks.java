package dev.vct.worker.health;

import dev.vct.storage.blob.BlobStore;
import dev.vct.worker.config.WorkerConfig;
import dev.vct.worker.run.StageConsumerLoop;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * /q/health: live while the stage consumer thread polls (it polls every poll-timeout even during a
 * 30-minute stage, so a long stage never turns it DOWN); ready while Kafka and the blob store
 * answer.
 */
@ApplicationScoped
public class WorkerHealthChecks {
  @Inject StageConsumerLoop loop;
  @Inject WorkerConfig config;
  @Inject BlobStore blobs;

  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> kafkaConfig;

  private volatile Admin admin;

  @Produces
  @Liveness
  HealthCheck stageConsumer() {
    return () -> {
      Duration sincePoll = Duration.between(loop.lastPoll(), Instant.now());
      boolean polling = loop.running() && sincePoll.compareTo(pollStall()) < 0;
      return HealthCheckResponse.named("stage-consumer")
          .status(polling)
          .withData("running-stages", loop.inFlightCount())
          .withData("ms-since-last-poll", sincePoll.toMillis())
          .build();
    };
  }

  @Produces
  @Readiness
  HealthCheck kafka() {
    return () -> {
      try {
        int nodes = admin().describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
        return HealthCheckResponse.named("kafka").up().withData("nodes", nodes).build();
      } catch (Exception e) {
        return HealthCheckResponse.named("kafka")
            .down()
            .withData("error", String.valueOf(e.getMessage()))
            .build();
      }
    };
  }

  @Produces
  @Readiness
  HealthCheck blobStore() {
    return () -> {
      try {
        blobs.exists("health/probe");
        return HealthCheckResponse.named("blob-store")
            .up()
            .withData("store", blobs.describe())
            .build();
      } catch (RuntimeException e) {
        return HealthCheckResponse.named("blob-store")
            .down()
            .withData("error", String.valueOf(e.getMessage()))
            .build();
      }
    };
  }

  private Duration pollStall() {
    Duration tenPolls = config.kafka().pollTimeout().multipliedBy(10);
    return tenPolls.compareTo(Duration.ofSeconds(30)) > 0 ? tenPolls : Duration.ofSeconds(30);
  }

  private Admin admin() {
    if (admin == null) {
      synchronized (this) {
        if (admin == null) {
          Map<String, Object> adminConfig = new HashMap<>(kafkaConfig);
          adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
          adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000);
          admin = Admin.create(adminConfig);
        }
      }
    }
    return admin;
  }
}
