package dev.vct.storage.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.local.test.S3TestResource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 100 MB blob goes through each store from a generated stream and back, in a JVM limited to a 48
 * MB heap: if any step held the whole blob in memory, that JVM would fail with OutOfMemoryError.
 */
class LargeBlobStreamingTest {

  static final long SIZE = 100L * 1024 * 1024;
  static final String HEAP = "-Xmx48m";

  static String expectedSha256;

  @TempDir Path tempDir;

  @BeforeAll
  static void hashTheGeneratedBlob() throws IOException {
    expectedSha256 = Sha256.hex(new GeneratedInputStream(SIZE, LargeBlobRoundTrip.SEED));
  }

  @Test
  void hundredMegabyteBlobStreamsThroughS3WithASmallHeap() throws Exception {
    Map<String, String> s3 = new S3TestResource().start();

    Map<String, String> seen =
        runWithSmallHeap(
            "s3",
            s3.get("vct.blob.s3.endpoint"),
            s3.get("vct.blob.s3.region"),
            "vct-large-blobs",
            s3.get("vct.blob.s3.access-key-id"),
            s3.get("vct.blob.s3.secret-access-key"));

    assertRoundTrip(seen);
  }

  @Test
  void hundredMegabyteBlobStreamsThroughTheFilesystemWithASmallHeap() throws Exception {
    Map<String, String> seen = runWithSmallHeap("filesystem", tempDir.resolve("blobs").toString());

    assertRoundTrip(seen);
  }

  private static void assertRoundTrip(Map<String, String> seen) {
    assertEquals(SIZE + " " + expectedSha256, seen.get("unknown-length"));
    assertEquals(SIZE + " " + expectedSha256, seen.get("known-length"));
    assertEquals(Long.toString(SIZE), seen.get("stored-size"));
    assertEquals(expectedSha256, seen.get("read-back"));
    long maxHeap = Long.parseLong(seen.get("max-heap"));
    assertTrue(maxHeap < SIZE / 2, "the child's heap (" + maxHeap + " bytes) must be small");
  }

  /** Runs {@link LargeBlobRoundTrip} in a new JVM with {@value #HEAP}; returns what it printed. */
  private static Map<String, String> runWithSmallHeap(String... storeArgs) throws Exception {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add(HEAP);
    command.add("-XX:+ExitOnOutOfMemoryError");
    command.add("-cp");
    command.add(classpath);
    command.add(LargeBlobRoundTrip.class.getName());
    command.add(Long.toString(SIZE));
    command.addAll(List.of(storeArgs));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output;
    try {
      output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the round trip did not end in 5 minutes");
    } finally {
      process.destroyForcibly();
    }
    assertEquals(0, process.exitValue(), "the round trip failed:\n" + output);
    Map<String, String> seen = new HashMap<>();
    for (String line : output.lines().toList()) {
      int space = line.indexOf(' ');
      if (space > 0) {
        seen.put(line.substring(0, space), line.substring(space + 1));
      }
    }
    return seen;
  }
}
