package dev.vct.orchestrator.health;

import dev.vct.storage.blob.BlobStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while the blob store answers (a metadata lookup of a key that need not exist). Kafka
 * (the messaging channels) and PostgreSQL (the datasource) report their own readiness.
 */
@Readiness
@ApplicationScoped
public class BlobStoreHealthCheck implements HealthCheck {
  @Inject BlobStore blobs;

  @Override
  public HealthCheckResponse call() {
    try {
      blobs.exists("health/probe");
      return HealthCheckResponse.named("blob-store")
          .up()
          .withData("store", blobs.describe())
          .build();
    } catch (RuntimeException e) {
      return HealthCheckResponse.named("blob-store")
          .down()
          .withData("store", blobs.describe())
          .withData("error", String.valueOf(e.getMessage()))
          .build();
    }
  }
}
