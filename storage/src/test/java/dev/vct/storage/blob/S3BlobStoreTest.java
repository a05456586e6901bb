package dev.vct.storage.blob;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.local.test.PostgresTestResource;
import dev.vct.local.test.S3TestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** The contract against a real S3 server (s3proxy), through the CDI-produced store. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(KafkaTestResource.class)
@WithTestResource(S3TestResource.class)
class S3BlobStoreTest extends BlobStoreContractTest {

  @Inject BlobStore store;

  @Override
  protected BlobStore store() {
    return store;
  }

  @Test
  void configurationSelectsTheS3Store() {
    assertInstanceOf(S3BlobStore.class, store);
  }
}
