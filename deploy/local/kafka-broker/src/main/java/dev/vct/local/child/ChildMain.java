package dev.vct.local.child;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Optional;

/**
 * Runs another class's {@code main} in a child JVM that must not outlive the process that started
 * it.
 *
 * <p>Usage: {@code java -Dvct.parent.pid=<pid> -cp ... dev.vct.local.child.ChildMain <main-class>
 * [args...]}. A daemon thread polls the parent process; once it is gone (even after a SIGKILL,
 * which runs no shutdown hooks in the parent) this JVM exits through its own shutdown hooks, and
 * halts outright if they take longer than {@link #HALT_AFTER_MILLIS}.
 */
public final class ChildMain {

  /** System property naming the process this JVM must not outlive (default: its parent). */
  public static final String PARENT_PID_PROPERTY = "vct.parent.pid";

  private static final long POLL_MILLIS = 200;
  private static final long HALT_AFTER_MILLIS = 5_000;

  private ChildMain() {}

  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      System.err.println(
          "usage: java -D"
              + PARENT_PID_PROPERTY
              + "=<pid> "
              + ChildMain.class.getName()
              + " <main-class> [args...]");
      System.exit(2);
    }
    watch(parentProcess());
    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static ProcessHandle parentProcess() {
    String pid = System.getProperty(PARENT_PID_PROPERTY);
    Optional<ProcessHandle> parent =
        pid == null
            ? ProcessHandle.current().parent()
            : ProcessHandle.of(Long.parseLong(pid.trim()));
    if (parent.isEmpty() || !parent.get().isAlive()) {
      System.err.println("vct child: parent process " + pid + " is already gone; exiting");
      Runtime.getRuntime().halt(1);
    }
    return parent.get();
  }

  private static void watch(ProcessHandle parent) {
    Thread watchdog =
        new Thread(
            () -> {
              while (parent.isAlive()) {
                sleep(POLL_MILLIS);
              }
              System.err.println(
                  "vct child: parent process " + parent.pid() + " is gone; shutting down");
              Thread halter =
                  new Thread(
                      () -> {
                        sleep(HALT_AFTER_MILLIS);
                        System.err.println("vct child: shutdown hooks too slow; halting");
                        Runtime.getRuntime().halt(1);
                      },
                      "vct-parent-watchdog-halt");
              halter.setDaemon(true);
              halter.start();
              System.exit(0);
            },
            "vct-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
