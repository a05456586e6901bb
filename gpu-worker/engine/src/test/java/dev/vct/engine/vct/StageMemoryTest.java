package dev.vct.engine.vct;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every stage step runs in its own manager: native memory stays flat over many steps. */
class StageMemoryTest {

  /** Resident set size of this process in KiB, from /proc/self/status. */
  private static long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D+", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  @Test
  void conceptInversionKeepsMemoryFlatOverManySteps(@TempDir Path dir) throws Exception {
    try (VctModels models = TinyVct.load(dir.resolve("model"))) {
      ConceptInversion stage =
          ConceptInversion.start(
              models, TinyVct.conceptParams().withSteps(60), TinyVct.image(64, 4));
      stage.runUntil(15, ProgressListener.NONE, Cancellation.NEVER);
      System.gc();
      long warm = rssKib();
      stage.run(ProgressListener.NONE, Cancellation.NEVER);
      System.gc();
      long grown = rssKib() - warm;
      System.out.println(
          "StageMemoryTest: RSS after 15 steps " + warm + " KiB, growth over 45 more: " + grown);
      assertTrue(grown < 32 * 1024, "RSS grew by " + grown + " KiB over 180 micro-steps");
    }
  }
}
