package dev.vct.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EngineJvmOptionsTest {

  @Test
  void compilersAtNice19AndEveryJavaPriorityAtTheGivenNiceness() {
    List<String> options = EngineJvmOptions.forNiceness(10);
    assertEquals(12, options.size());
    assertEquals("-XX:ThreadPriorityPolicy=1", options.get(0));
    assertEquals("-XX:CompilerThreadPriority=19", options.get(1));
    for (int priority = 1; priority <= 10; priority++) {
      assertTrue(
          options.contains("-XX:JavaPriority" + priority + "_To_OSPriority=10"),
          "Java priority " + priority + " mapped to nice 10: " + options);
    }
  }

  @Test
  void nicenessIsThisProcesssOwn() throws Exception {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    assertEquals(Integer.parseInt(fields[16]), EngineJvmOptions.niceness());
  }
}
