package dev.vct.storage.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vct.storage.embedding.EmbeddingKind;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class BlobKeysTest {

  private static final UUID JOB = UUID.fromString("00000000-0000-0000-0000-00000000000a");
  private static final String SHA = "ab".repeat(32);

  @Test
  void keysFollowTheDocumentedLayout() {
    assertEquals("inputs/" + JOB + "/source.png", BlobKeys.source(JOB, "png"));
    assertEquals("inputs/" + JOB + "/reference.jpg", BlobKeys.reference(JOB, "jpg"));
    assertEquals("outputs/" + JOB + "/result.png", BlobKeys.result(JOB));
    assertEquals("checkpoints/" + JOB + "/000000000042.safetensors", BlobKeys.checkpoint(JOB, 42));
    assertEquals(
        "embeddings/concept/" + SHA + ".safetensors",
        BlobKeys.embedding(EmbeddingKind.CONCEPT, SHA));
  }

  @Test
  void embeddingHashDependsOnEveryPartOfTheCacheKey() {
    String base = BlobKeys.embeddingHash(SHA, "sd15", "p1");

    assertEquals(base, BlobKeys.embeddingHash(SHA, "sd15", "p1"));
    assertNotEquals(base, BlobKeys.embeddingHash("cd".repeat(32), "sd15", "p1"));
    assertNotEquals(base, BlobKeys.embeddingHash(SHA, "sd21", "p1"));
    assertNotEquals(base, BlobKeys.embeddingHash(SHA, "sd15", "p2"));
    assertEquals(64, base.length());
  }

  @Test
  void malformedPartsAreRejectedWithTheValue() {
    IllegalArgumentException ext =
        assertThrows(IllegalArgumentException.class, () -> BlobKeys.source(JOB, "../png"));
    IllegalArgumentException hash =
        assertThrows(
            IllegalArgumentException.class,
            () -> BlobKeys.embedding(EmbeddingKind.CONTENT, "not-a-hash"));

    assertEquals(
        "file extension must be 1-8 lower-case letters or digits, got '../png'", ext.getMessage());
    assertEquals(
        "expected a lower-case hex SHA-256 (64 characters), got 'not-a-hash'", hash.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BlobKeys.checkpoint(JOB, -1));
  }

  @Test
  void prefixesMayEndInASlashOrAPartialSegment() {
    assertEquals("", BlobKeys.validatePrefix(""));
    assertEquals("inputs/", BlobKeys.validatePrefix("inputs/"));
    assertEquals("inputs/ab", BlobKeys.validatePrefix("inputs/ab"));
    assertThrows(IllegalArgumentException.class, () -> BlobKeys.validatePrefix("../"));
    assertThrows(IllegalArgumentException.class, () -> BlobKeys.validatePrefix("a//"));
  }
}
