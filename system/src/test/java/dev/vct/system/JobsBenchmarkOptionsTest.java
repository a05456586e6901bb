package dev.vct.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.system.JobsBenchmark.Options;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code ./vct bench jobs} runs when given nothing, and the mistakes it refuses. */
class JobsBenchmarkOptionsTest {

  @Test
  void withoutOptionsItMeasures20JobsPerSecondAfterFiveMinutesOfWarmUpAsVctUpRunsTheServices() {
    Options options = Options.parse(new String[0]);
    assertEquals(20, options.rate());
    assertEquals(30, options.seconds());
    assertEquals(300, options.warmupSeconds());
    assertEquals(1, options.workers());
    assertFalse(options.findMax());
    assertEquals(
        List.of("-Xmx768m", "-XX:+UseSerialGC", "-Djava.awt.headless=true"), options.jvmOptions());
    assertNull(options.jfrDir());
    assertFalse(options.sqlStats());
    assertNull(options.timeline());
    assertNull(options.dataDir());
  }

  @Test
  void everyOptionIsRead() {
    Options options =
        Options.parse(
            new String[] {
              "--rate",
              "6",
              "--seconds",
              "10",
              "--warmup-seconds",
              "0",
              "--workers",
              "2",
              "--worker-concurrency",
              "4",
              "--find-max",
              "--data-dir",
              "/tmp/b",
              "--jvm-options",
              " -Xmx1g  -XX:TieredStopAtLevel=1 ",
              "--jfr",
              "/tmp/rec",
              "--sql-stats",
              "--timeline",
              "/tmp/jobs.csv"
            });
    assertEquals(6, options.rate());
    assertEquals(10, options.seconds());
    assertEquals(0, options.warmupSeconds());
    assertEquals(2, options.workers());
    assertEquals(4, options.workerConcurrency());
    assertTrue(options.findMax());
    assertEquals(Path.of("/tmp/b"), options.dataDir());
    assertEquals(
        List.of("-Xmx1g", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"),
        options.jvmOptions());
    assertEquals(Path.of("/tmp/rec"), options.jfrDir());
    assertTrue(options.sqlStats());
    assertEquals(Path.of("/tmp/jobs.csv"), options.timeline());
  }

  @Test
  void mistakesAreRefusedWithWhatIsWrong() {
    assertEquals(
        "--rate must be above 0",
        assertThrows(IllegalArgumentException.class, () -> parse("--rate", "0")).getMessage());
    assertEquals(
        "--jfr needs a value",
        assertThrows(IllegalArgumentException.class, () -> parse("--jfr")).getMessage());
    assertEquals(
        "unknown option '--speed'",
        assertThrows(IllegalArgumentException.class, () -> parse("--speed", "3")).getMessage());
    assertEquals(
        "--workers must be a whole number of at least 1",
        assertThrows(IllegalArgumentException.class, () -> parse("--workers", "1.5")).getMessage());
  }

  private static Options parse(String... args) {
    return Options.parse(args);
  }
}
