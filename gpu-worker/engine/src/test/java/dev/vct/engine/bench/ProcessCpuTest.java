package dev.vct.engine.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  /**
   * A fresh mapping of a new sparse file: its pages cannot have been touched before, unlike memory
   * from malloc (a direct buffer may reuse heap memory that earlier tests in this JVM faulted in).
   */
  @Test
  void touchingFreshNativeMemoryCountsMinorFaults(@TempDir Path dir) throws IOException {
    long before = ProcessCpu.minorFaults();
    assertTrue(before > 0, "minor faults readable: " + before);
    long size = 16 << 20;
    long faults;
    try (FileChannel file =
        FileChannel.open(
            dir.resolve("pages"),
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      MappedByteBuffer pages = file.map(FileChannel.MapMode.READ_WRITE, 0, size);
      for (int i = 0; i < size; i += 4096) {
        pages.put(i, (byte) 1);
      }
      faults = ProcessCpu.minorFaults() - before;
    }
    // 16 MiB of 4 KiB pages is 4,096 pages; the kernel may map several per fault (fault-around).
    assertTrue(faults >= 1, "faults after touching 16 MiB: " + faults);
  }
}
