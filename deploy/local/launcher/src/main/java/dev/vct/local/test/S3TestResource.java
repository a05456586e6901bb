package dev.vct.local.test;

import dev.vct.local.S3Server;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A real S3 server (s3proxy) for Quarkus tests, shared by every test in the JVM. Sets {@code
 * vct.blob.store=s3} and {@code vct.blob.s3.endpoint}, {@code .region}, {@code .bucket}, {@code
 * .access-key-id}, {@code .secret-access-key}. The bucket ({@value #DEFAULT_BUCKET}, or the init
 * arg {@code bucket}) is created by the storage code when missing.
 */
public class S3TestResource implements QuarkusTestResourceLifecycleManager {

  public static final String DEFAULT_BUCKET = "vct-test";

  private String bucket = DEFAULT_BUCKET;

  @Override
  public void init(Map<String, String> initArgs) {
    bucket = initArgs.getOrDefault("bucket", DEFAULT_BUCKET);
  }

  @Override
  public Map<String, String> start() {
    Map<String, String> server =
        JvmShared.properties(
            "s3",
            () -> {
              var dataDir = JvmShared.tempDir("s3");
              S3Server s3 = new S3Server(dataDir);
              s3.start();
              JvmShared.closeAtExit("s3", s3, dataDir);
              return Map.of(
                  "endpoint", s3.endpoint(),
                  "region", s3.region(),
                  "access-key-id", s3.accessKey(),
                  "secret-access-key", s3.secretKey());
            });
    return Map.of(
        "vct.blob.store", "s3",
        "vct.blob.s3.endpoint", server.get("endpoint"),
        "vct.blob.s3.region", server.get("region"),
        "vct.blob.s3.bucket", bucket,
        "vct.blob.s3.access-key-id", server.get("access-key-id"),
        "vct.blob.s3.secret-access-key", server.get("secret-access-key"));
  }

  /** The server outlives each test class; it stops when the JVM exits. */
  @Override
  public void stop() {}
}
