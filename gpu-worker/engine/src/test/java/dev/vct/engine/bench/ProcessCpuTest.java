package dev.vct.engine.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ProcessCpuTest {

  @Test
  void threadAndProcessCpuTimeGrowWithWorkAndTheThreadsIsAPartOfTheProcesss() {
    long process = ProcessCpu.processNanos();
    long thread = ProcessCpu.threadNanos();
    assertTrue(process > 0 && thread > 0, "CPU times known: " + process + ", " + thread);
    long x = 1;
    long until = thread + 50_000_000L; // 50 ms of this thread's CPU
    while (ProcessCpu.threadNanos() < until) {
      for (int i = 0; i < 10_000; i++) {
        x = x * 6364136223846793005L + 1442695040888963407L;
      }
    }
    long threadSpent = ProcessCpu.threadNanos() - thread;
    long processSpent = ProcessCpu.processNanos() - process;
    assertTrue(threadSpent >= 50_000_000L, "thread CPU " + threadSpent + " (" + x + ")");
    // The process's clock includes the thread's (at the clocks' tick granularity, 10 ms at most).
    assertTrue(
        processSpent >= threadSpent - 10_000_000L,
        "process CPU " + processSpent + " vs thread CPU " + threadSpent);
  }

  @Test
  void touchingFreshNativeMemoryCountsMinorFaults() {
    long before = ProcessCpu.minorFaults();
    assertTrue(before > 0, "minor faults readable: " + before);
    ByteBuffer buffer = ByteBuffer.allocateDirect(16 << 20);
    for (int i = 0; i < buffer.capacity(); i += 4096) {
      buffer.put(i, (byte) 1);
    }
    long faults = ProcessCpu.minorFaults() - before;
    // 16 MiB of 4 KiB pages is 4,096 pages; huge pages or pre-zeroed memory may need fewer.
    assertTrue(faults >= 1, "faults after touching 16 MiB: " + faults);
  }
}
