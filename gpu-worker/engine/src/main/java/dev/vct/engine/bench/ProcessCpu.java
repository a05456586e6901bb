package dev.vct.engine.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time and page faults of this process and of the calling thread: what a stage cost besides its
 * wall time. On a machine shared with other work the wall time includes waiting for a core; these
 * do not (a virtual machine's host may still take the core from the process unseen).
 */
public final class ProcessCpu {

  private static final Path STAT = Path.of("/proc/self/stat");

  private ProcessCpu() {}

  /** CPU time of every thread of this process (user + system), nanoseconds; -1 if unknown. */
  public static long processNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** CPU time of the calling thread (user + system), nanoseconds; -1 if unsupported. */
  public static long threadNanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    return threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : -1;
  }

  /**
   * Minor page faults of this process so far (field 10 of /proc/self/stat); -1 where there is no
   * /proc (not Linux).
   */
  public static long minorFaults() {
    try {
      String stat = Files.readString(STAT);
      // Fields after the command name, which is in parentheses and may contain spaces.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      return Long.parseLong(fields[7]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
