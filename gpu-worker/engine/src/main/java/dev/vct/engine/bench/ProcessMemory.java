package dev.vct.engine.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process from {@code /proc/self/status}: native (libtorch) allocations
 * included, which the Java heap figures miss. Linux only.
 */
public final class ProcessMemory {

  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private ProcessMemory() {}

  /**
   * The peak resident set since start or the last {@link #resetPeak()}, in bytes: VmHWM, or VmRSS
   * when larger (the kernel updates the high-water mark lazily).
   */
  public static long peakBytes() {
    return Math.max(field("VmHWM:"), field("VmRSS:"));
  }

  /** VmRSS: the current resident set, in bytes. */
  public static long residentBytes() {
    return field("VmRSS:");
  }

  /** Resets VmHWM to the current RSS (writes 5 to clear_refs); false where not permitted. */
  public static boolean resetPeak() {
    try {
      Files.writeString(CLEAR_REFS, "5");
      return true;
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  private static long field(String name) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(name)) {
          String[] parts = line.substring(name.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + STATUS + " (Linux only)", e);
    }
    throw new IllegalStateException(STATUS + " has no " + name);
  }
}
