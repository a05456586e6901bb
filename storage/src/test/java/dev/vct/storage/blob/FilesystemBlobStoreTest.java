package dev.vct.storage.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FilesystemBlobStoreTest extends BlobStoreContractTest {

  private Path root;
  private FilesystemBlobStore store;

  @BeforeEach
  void open() throws IOException {
    root = Files.createTempDirectory(tempDir, "blobs");
    store = new FilesystemBlobStore(root);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Override
  protected BlobStore store() {
    return store;
  }

  @Test
  void failedPutLeavesNoStagingFileBehind() throws IOException {
    try {
      store.put("x/y", new FailingInputStream(1000), BlobStore.UNKNOWN_LENGTH, null);
    } catch (BlobStoreException expected) {
      // the failure itself is covered by the contract
    }

    try (Stream<Path> staged = Files.list(root.resolve(".staging"))) {
      assertEquals(0, staged.count());
    }
  }
}
