package dev.vct.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * CPU time used by the processes of a stack, from Linux's {@code /proc/<pid>/stat}: a process's own
 * user and system time, that of its children it has waited for, and that of its live descendants
 * (PostgreSQL's backends). What one job costs in CPU does not depend on how busy the machine is,
 * unlike its latency, so it is the number to compare between runs on a shared machine.
 */
final class CpuMeter {

  /** Clock ticks per second of {@code /proc/<pid>/stat} (USER_HZ, 100 on Linux). */
  private static final double TICKS_PER_SECOND = 100.0;

  /** One metered process; {@code tree}: also count its descendants (a server's workers). */
  record Metered(String name, long pid, boolean tree) {}

  private final List<Metered> processes;

  CpuMeter(List<Metered> processes) {
    this.processes = List.copyOf(processes);
  }

  /** Whether this system has {@code /proc} to read. */
  static boolean available() {
    return Files.isReadable(Path.of("/proc/self/stat"));
  }

  /** CPU seconds each process (with its descendants) has used so far. */
  Map<String, Double> sample() {
    Map<String, Double> seconds = new LinkedHashMap<>();
    for (Metered process : processes) {
      long ticks = ticks(process.pid());
      if (process.tree()) {
        ticks +=
            ProcessHandle.of(process.pid())
                .map(p -> p.descendants().mapToLong(d -> ticks(d.pid())).sum())
                .orElse(0L);
      }
      seconds.merge(process.name(), ticks / TICKS_PER_SECOND, Double::sum);
    }
    return seconds;
  }

  /** utime + stime + cutime + cstime of one process; 0 when it is gone. */
  private static long ticks(long pid) {
    return stat(pid)
        .map(
            line -> {
              // The command name (field 2) is in parentheses and may hold spaces: split after it.
              String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
              // fields[0] is field 3 (state); utime..cstime are fields 14..17.
              long total = 0;
              for (int field = 14; field <= 17; field++) {
                total += Long.parseLong(fields[field - 3]);
              }
              return total;
            })
        .orElse(0L);
  }

  /** Busy CPU seconds of the whole machine so far (all processes, every core), from /proc/stat. */
  static double machineBusySeconds() {
    try {
      String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      // cpu user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
      long busy = 0;
      for (int i = 1; i <= 8 && i < fields.length; i++) {
        if (i != 4 && i != 5) {
          busy += Long.parseLong(fields[i]);
        }
      }
      return busy / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private static Optional<String> stat(long pid) {
    try {
      return Optional.of(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
