package dev.vct.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * JVM options of an engine worker, the same as {@code ./vct}'s engine commands get: the JIT
 * compiler threads at nice 19, every other thread at this launcher's niceness. On a small model
 * libtorch computes on one thread, and C1/C2 compiles go on for seconds after a JVM starts; at
 * equal priority they preempted that thread about 1,000 times in a short run and made every stage
 * up to 45 % slower in such processes (docs/bench-vct.md, "Slow processes").
 */
final class EngineJvmOptions {

  private EngineJvmOptions() {}

  /** The options for a worker started from this process. */
  static List<String> forWorker() {
    return forNiceness(niceness());
  }

  /**
   * The options for a JVM whose threads other than the JIT compilers keep {@code niceness}
   * (ThreadPriorityPolicy=1 alone would move the JVM's own threads to nice -5..-4 as root).
   */
  static List<String> forNiceness(int niceness) {
    List<String> options = new ArrayList<>();
    options.add("-XX:ThreadPriorityPolicy=1");
    options.add("-XX:CompilerThreadPriority=19");
    for (int priority = 1; priority <= 10; priority++) {
      options.add("-XX:JavaPriority" + priority + "_To_OSPriority=" + niceness);
    }
    return options;
  }

  /** This process's niceness (field 19 of /proc/self/stat); 0 where there is no /proc. */
  static int niceness() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      return Integer.parseInt(fields[16]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
