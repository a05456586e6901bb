package dev.vct.gateway.testing;

import dev.vct.local.test.KafkaTestResource;
import dev.vct.local.test.PostgresTestResource;
import dev.vct.local.test.S3TestResource;
import io.quarkus.test.common.QuarkusTestResource;

/** The real servers every gateway test runs against: PostgreSQL, Kafka and S3 (s3proxy). */
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KafkaTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = S3TestResource.class, restrictToAnnotatedClass = false)
public final class TestStack {
  public static final String ADMIN_KEY = "test-bootstrap-admin-key-0123456789";

  private TestStack() {}
}
