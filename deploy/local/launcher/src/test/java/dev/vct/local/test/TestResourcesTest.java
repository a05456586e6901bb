package dev.vct.local.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** The Quarkus test resources hand out working servers under the agreed property names. */
class TestResourcesTest {

  @Test
  void postgresResourceGivesAWorkingDatasourceSharedAcrossStarts() throws Exception {
    Map<String, String> first = new PostgresTestResource().start();
    Map<String, String> second = new PostgresTestResource().start();

    assertEquals(
        Set.of(
            "quarkus.datasource.jdbc.url",
            "quarkus.datasource.username",
            "quarkus.datasource.password"),
        first.keySet());
    assertEquals(first, second);
    try (Connection c =
            DriverManager.getConnection(
                first.get("quarkus.datasource.jdbc.url"),
                first.get("quarkus.datasource.username"),
                first.get("quarkus.datasource.password"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select 1")) {
      assertTrue(rs.next());
      assertEquals(1, rs.getInt(1));
    }
  }

  @Test
  void s3ResourceGivesTheBlobStoreSettingsOfAWorkingServer() {
    S3TestResource resource = new S3TestResource();
    resource.init(Map.of("bucket", "resource-test"));
    Map<String, String> config = resource.start();

    assertEquals(
        Set.of(
            "vct.blob.store",
            "vct.blob.s3.endpoint",
            "vct.blob.s3.region",
            "vct.blob.s3.bucket",
            "vct.blob.s3.access-key-id",
            "vct.blob.s3.secret-access-key"),
        config.keySet());
    assertEquals("s3", config.get("vct.blob.store"));
    assertEquals("resource-test", config.get("vct.blob.s3.bucket"));
    try (S3Client s3 =
        S3Client.builder()
            .endpointOverride(URI.create(config.get("vct.blob.s3.endpoint")))
            .region(Region.of(config.get("vct.blob.s3.region")))
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(
                        config.get("vct.blob.s3.access-key-id"),
                        config.get("vct.blob.s3.secret-access-key"))))
            .forcePathStyle(true)
            .httpClient(UrlConnectionHttpClient.create())
            .build()) {
      s3.createBucket(b -> b.bucket("resource-test"));
      s3.putObject(b -> b.bucket("resource-test").key("k"), RequestBody.fromString("v"));
      assertEquals(
          "v", s3.getObjectAsBytes(b -> b.bucket("resource-test").key("k")).asUtf8String());
    }
    assertEquals(
        config.get("vct.blob.s3.endpoint"),
        new S3TestResource().start().get("vct.blob.s3.endpoint"));
  }

  @Test
  void kafkaResourceGivesAWorkingInJvmBrokerSharedAcrossStarts() throws Exception {
    Map<String, String> first = new KafkaTestResource().start();
    Map<String, String> second = new KafkaTestResource().start();

    assertEquals(Set.of("kafka.bootstrap.servers"), first.keySet());
    assertEquals(first, second);
    assertBrokerAnswers(first.get("kafka.bootstrap.servers"));
  }

  @Test
  void kafkaProcessResourceInjectsItsBrokerAndStopsIt() throws Exception {
    KafkaProcessTestResource resource = new KafkaProcessTestResource();
    Map<String, String> config = resource.start();
    NeedsBroker test = new NeedsBroker();
    resource.inject(
        (Object target, java.util.function.Predicate<java.lang.reflect.Field> matches) -> {
          for (var field : NeedsBroker.class.getDeclaredFields()) {
            if (matches.test(field)) {
              field.setAccessible(true);
              try {
                field.set(test, target);
              } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
              }
            }
          }
        });
    try {
      assertEquals(config.get("kafka.bootstrap.servers"), test.broker.bootstrapServers());
      assertBrokerAnswers(config.get("kafka.bootstrap.servers"));
    } finally {
      resource.stop();
    }
    assertTrue(!test.broker.isRunning());
  }

  static final class NeedsBroker {
    @InjectKafkaBroker dev.vct.local.KafkaBroker broker;
  }

  private static void assertBrokerAnswers(String bootstrap) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(p)) {
      assertEquals(
          1,
          admin
              .describeCluster()
              .nodes()
              .get(Duration.ofSeconds(30).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
              .size());
      admin
          .createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("t", 1, (short) 1)))
          .all()
          .get();
    }
  }
}
