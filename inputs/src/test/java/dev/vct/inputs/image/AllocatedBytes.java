package dev.vct.inputs.image;

import java.lang.management.ManagementFactory;

/**
 * The bytes the calling thread allocates while it runs an action: how tests show that an image is
 * refused from its header without decoding its pixels, whatever the machine's load (a clock would
 * say so only on an idle machine).
 */
public final class AllocatedBytes {
  private AllocatedBytes() {}

  /**
   * Runs {@code action} (which may throw: the test asserts on that) and returns what it allocated.
   */
  public static long during(Runnable action) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(thread);
    action.run();
    return threads.getThreadAllocatedBytes(thread) - before;
  }
}
