package dev.vct.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ServerTest {

  @TempDir Path dataDir;

  @Test
  void storesAndReturnsObjectsThroughTheAwsSdk() {
    try (S3Server server = new S3Server(dataDir)) {
      server.start();
      try (S3Client client =
          S3Clients.client(
              server.endpoint(), server.region(), server.accessKey(), server.secretKey())) {
        client.createBucket(b -> b.bucket("blobs"));
        byte[] body = "hello from vct".getBytes(StandardCharsets.UTF_8);
        client.putObject(
            b -> b.bucket("blobs").key("inputs/job-1/source.png"), RequestBody.fromBytes(body));

        byte[] read =
            client
                .getObjectAsBytes(b -> b.bucket("blobs").key("inputs/job-1/source.png"))
                .asByteArray();
        assertArrayEquals(body, read);
        assertEquals(
            1, client.listObjectsV2(b -> b.bucket("blobs").prefix("inputs/")).contents().size());
      }
    }
  }

  @Test
  void rejectsAWrongSecretKey() {
    try (S3Server server = new S3Server(dataDir)) {
      server.start();
      try (S3Client client =
          S3Clients.client(
              server.endpoint(), server.region(), server.accessKey(), "wrong-secret")) {
        S3Exception e = assertThrows(S3Exception.class, () -> client.listBuckets());
        assertEquals(403, e.statusCode());
      }
    }
  }

  @Test
  void keepsObjectsAcrossAKillAndRestart() {
    try (S3Server server = new S3Server(dataDir)) {
      server.start();
      try (S3Client client =
          S3Clients.client(
              server.endpoint(), server.region(), server.accessKey(), server.secretKey())) {
        client.createBucket(b -> b.bucket("kept"));
        client.putObject(b -> b.bucket("kept").key("a"), RequestBody.fromString("A"));
      }
      server.kill();
      server.start();
      try (S3Client client =
          S3Clients.client(
              server.endpoint(), server.region(), server.accessKey(), server.secretKey())) {
        assertEquals("A", client.getObjectAsBytes(b -> b.bucket("kept").key("a")).asUtf8String());
      }
    }
  }
}
