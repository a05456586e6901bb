package dev.vct.storage.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link BlobStore} must do; one subclass per implementation. Each test works under its
 * own key prefix, so the stores may be shared.
 */
abstract class BlobStoreContractTest {

  /** Larger than one S3 part (8 MiB), so S3 takes its multipart path. */
  static final int MULTIPART_SIZE = 20 * 1024 * 1024 + 123;

  protected abstract BlobStore store();

  private final String prefix = "contract/" + UUID.randomUUID() + "/";

  @TempDir Path tempDir;

  private String key(String name) {
    return prefix + name;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private byte[] read(String key) throws IOException {
    try (InputStream in = store().open(key)) {
      return in.readAllBytes();
    }
  }

  @Test
  void putThenOpenGivesBackTheBytesAndTheirSha256() throws IOException {
    byte[] data = bytes("a small blob");

    StoredBlob stored =
        store().put(key("small.bin"), new ByteArrayInputStream(data), data.length, "text/plain");

    assertEquals(new StoredBlob(key("small.bin"), data.length, Sha256.hex(data)), stored);
    assertArrayEquals(data, read(key("small.bin")));
  }

  @Test
  void emptyBlobIsStored() throws IOException {
    StoredBlob stored = store().put(key("empty"), InputStream.nullInputStream(), 0, null);

    assertEquals(0, stored.size());
    assertEquals(Sha256.hex(new byte[0]), stored.sha256());
    assertArrayEquals(new byte[0], read(key("empty")));
  }

  @Test
  void streamOfUnknownLengthLargerThanAPartIsStoredWhole() throws IOException {
    String expected = Sha256.hex(new GeneratedInputStream(MULTIPART_SIZE, 42));

    StoredBlob stored =
        store()
            .put(
                key("large.bin"),
                new GeneratedInputStream(MULTIPART_SIZE, 42),
                BlobStore.UNKNOWN_LENGTH,
                "application/octet-stream");

    assertEquals(MULTIPART_SIZE, stored.size());
    assertEquals(expected, stored.sha256());
    assertEquals(MULTIPART_SIZE, store().size(key("large.bin")));
    try (InputStream in = store().open(key("large.bin"))) {
      assertEquals(expected, Sha256.hex(in));
    }
  }

  @Test
  void putReplacesTheBlobUnderTheSameKey() throws IOException {
    store().put(key("k"), new ByteArrayInputStream(bytes("first")), 5, null);
    store().put(key("k"), new ByteArrayInputStream(bytes("second!")), 7, null);

    assertArrayEquals(bytes("second!"), read(key("k")));
  }

  @Test
  void streamShorterThanAnnouncedFailsAndStoresNothing() {
    BlobStoreException e =
        assertThrows(
            BlobStoreException.class,
            () -> store().put(key("short"), new ByteArrayInputStream(bytes("abc")), 10, null));

    assertTrue(e.getMessage().contains("gave 3 bytes but 10 were announced"), e.getMessage());
    assertFalse(store().exists(key("short")));
  }

  @Test
  void streamLongerThanAnnouncedFailsAndStoresNothing() {
    assertThrows(
        BlobStoreException.class,
        () ->
            store()
                .put(
                    key("long"),
                    new GeneratedInputStream(MULTIPART_SIZE, 1),
                    MULTIPART_SIZE - 1,
                    null));

    assertFalse(store().exists(key("long")));
  }

  @Test
  void failingStreamLeavesThePreviousBlobIntactAndNothingElse() throws IOException {
    store().put(key("kept"), new ByteArrayInputStream(bytes("old")), 3, null);

    assertThrows(
        BlobStoreException.class,
        () ->
            store()
                .put(
                    key("kept"),
                    new FailingInputStream(MULTIPART_SIZE),
                    BlobStore.UNKNOWN_LENGTH,
                    null));

    assertArrayEquals(bytes("old"), read(key("kept")));
    assertEquals(List.of(key("kept")), store().list(prefix));
  }

  @Test
  void missingKeyThrowsBlobNotFoundNamingTheKeyAndTheStore() {
    String missing = key("no-such-blob.png");

    BlobNotFoundException open =
        assertThrows(BlobNotFoundException.class, () -> store().open(missing));
    BlobNotFoundException size =
        assertThrows(BlobNotFoundException.class, () -> store().size(missing));

    assertEquals(missing, open.key());
    assertTrue(open.getMessage().contains("'" + missing + "'"), open.getMessage());
    assertTrue(open.getMessage().contains(store().describe()), open.getMessage());
    assertEquals(missing, size.key());
    assertFalse(store().exists(missing));
  }

  @Test
  void existsAndSizeDescribeAStoredBlob() {
    store().put(key("sized"), new ByteArrayInputStream(new byte[1234]), 1234, null);

    assertTrue(store().exists(key("sized")));
    assertEquals(1234, store().size(key("sized")));
  }

  @Test
  void listReturnsTheKeysUnderAPrefixInOrder() {
    for (String name : List.of("b/2", "a/1", "a/3", "a2", "c")) {
      store().put(key(name), new ByteArrayInputStream(bytes(name)), name.length(), null);
    }

    assertEquals(
        List.of(key("a/1"), key("a/3"), key("a2"), key("b/2"), key("c")), store().list(prefix));
    assertEquals(List.of(key("a/1"), key("a/3")), store().list(key("a/")));
    assertEquals(List.of(key("a/1"), key("a/3"), key("a2")), store().list(key("a")));
    assertEquals(List.of(), store().list(key("nothing/")));
  }

  @Test
  void checkpointsListInStepOrder() {
    UUID run = UUID.randomUUID();
    for (long step : new long[] {100, 9, 1000, 10}) {
      store().put(BlobKeys.checkpoint(run, step), new ByteArrayInputStream(new byte[1]), 1, null);
    }

    assertEquals(
        List.of(
            BlobKeys.checkpoint(run, 9),
            BlobKeys.checkpoint(run, 10),
            BlobKeys.checkpoint(run, 100),
            BlobKeys.checkpoint(run, 1000)),
        store().list(BlobKeys.checkpointPrefix(run)));
  }

  @Test
  void deleteRemovesTheBlobAndIgnoresAMissingOne() {
    store().put(key("gone"), new ByteArrayInputStream(bytes("x")), 1, null);

    store().delete(key("gone"));
    store().delete(key("gone"));

    assertFalse(store().exists(key("gone")));
    assertEquals(List.of(), store().list(prefix));
  }

  @Test
  void copyDuplicatesABlob() throws IOException {
    store().put(key("from"), new ByteArrayInputStream(bytes("payload")), 7, null);

    store().copy(key("from"), key("to/copy"));

    assertArrayEquals(bytes("payload"), read(key("to/copy")));
    assertArrayEquals(bytes("payload"), read(key("from")));
  }

  @Test
  void copyOfAMissingBlobThrowsBlobNotFound() {
    BlobNotFoundException e =
        assertThrows(BlobNotFoundException.class, () -> store().copy(key("absent"), key("target")));

    assertEquals(key("absent"), e.key());
    assertFalse(store().exists(key("target")));
  }

  @Test
  void putFileAndDownloadMoveBlobsFromAndToFiles() throws IOException {
    Path source = tempDir.resolve("in.bin");
    Files.write(source, bytes("file contents"));

    StoredBlob stored = store().putFile(key("file.bin"), source, "application/octet-stream");
    Path target = tempDir.resolve("out/sub/downloaded.bin");
    store().download(key("file.bin"), target);

    assertEquals(Sha256.hex(source), stored.sha256());
    assertArrayEquals(bytes("file contents"), Files.readAllBytes(target));
  }

  @Test
  void downloadOfAMissingBlobThrowsBlobNotFoundAndWritesNothing() {
    Path target = tempDir.resolve("never.bin");

    assertThrows(BlobNotFoundException.class, () -> store().download(key("absent"), target));

    assertFalse(Files.exists(target));
  }

  @Test
  void keysThatCouldEscapeOrHideAreRejected() {
    for (String bad :
        List.of("../etc/passwd", "/abs", "a//b", ".staging/x", "a/../b", "a/", "", "a b")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> store().put(bad, InputStream.nullInputStream(), 0, null),
              bad);
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
  }
}
