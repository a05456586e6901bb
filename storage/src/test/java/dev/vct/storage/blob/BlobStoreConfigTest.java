package dev.vct.storage.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vct.blob.*} read by SmallRye Config alone, as the services read it. */
class BlobStoreConfigTest {

  @TempDir Path tempDir;

  private static BlobStoreConfig config(Map<String, String> properties) {
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .withMapping(BlobStoreConfig.class)
            .withSources(new PropertiesConfigSource(properties, "test", 500))
            .build();
    return config.getConfigMapping(BlobStoreConfig.class);
  }

  @Test
  void defaultsAreAFilesystemStoreAndS3SettingsForALocalBucket() {
    BlobStoreConfig config = config(Map.of());

    assertEquals(BlobStoreConfig.Kind.FILESYSTEM, config.store());
    assertEquals(Path.of("data/blobs"), config.filesystem().root());
    assertEquals("us-east-1", config.s3().region());
    assertEquals("vct", config.s3().bucket());
    assertEquals(8 * 1024 * 1024, config.s3().partSize());
    assertTrue(config.s3().endpoint().isEmpty());
  }

  @Test
  void filesystemStoreOpensAtTheConfiguredRoot() {
    Path root = tempDir.resolve("blobs");

    try (BlobStore store =
        BlobStoreConfig.open(
            config(
                Map.of("vct.blob.store", "filesystem", "vct.blob.filesystem.root", root + "")))) {
      assertInstanceOf(FilesystemBlobStore.class, store);
      assertTrue(Files.isDirectory(root));
      assertTrue(store.describe().contains(root.toString()), store.describe());
    }
  }

  @Test
  void anAccessKeyWithoutItsSecretIsRejected() {
    BlobStoreConfig config =
        config(
            Map.of(
                "vct.blob.store", "s3",
                "vct.blob.s3.endpoint", "http://localhost:1",
                "vct.blob.s3.access-key-id", "only-the-id"));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BlobStoreConfig.open(config));

    assertEquals(
        "set both vct.blob.s3.access-key-id and vct.blob.s3.secret-access-key, or neither to use"
            + " the default AWS credentials chain",
        e.getMessage());
  }

  @Test
  void aPartSizeBelowTheS3MinimumIsRejected() {
    BlobStoreConfig config =
        config(Map.of("vct.blob.store", "s3", "vct.blob.s3.part-size", "1000"));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BlobStoreConfig.open(config));

    assertEquals("S3 part size must be at least 5242880 bytes, got 1000", e.getMessage());
  }
}
