package dev.vct.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildProcessesDieWithTheirParentTest {

  private static final Pattern PID = Pattern.compile("\\bpid (\\d+)");

  @TempDir Path dataDir;

  @Test
  void sigkillOfTheLauncherJvmLeavesNoServerProcessBehind() throws Exception {
    Process launcher =
        new ProcessBuilder(
                RuntimeArtifacts.javaExecutable().toString(),
                "-cp",
                System.getProperty("java.class.path"),
                LocalStack.class.getName(),
                "--infrastructure-only",
                "--data-dir",
                dataDir.toString())
            .redirectErrorStream(true)
            .start();
    List<ProcessHandle> children = new ArrayList<>();
    try {
      List<String> output = readUntilReady(launcher);
      for (String line : output) {
        Matcher m = PID.matcher(line);
        if (m.find()) {
          children.add(ProcessHandle.of(Long.parseLong(m.group(1))).orElseThrow());
        }
      }
      assertEquals(3, children.size(), "one pid per server in:\n" + String.join("\n", output));
      launcher.descendants().forEach(children::add);
      assertTrue(children.stream().allMatch(ProcessHandle::isAlive));

      launcher.destroyForcibly();
      assertTrue(launcher.waitFor(10, TimeUnit.SECONDS));

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (children.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertEquals(
          "",
          children.stream()
              .filter(ProcessHandle::isAlive)
              .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
              .collect(Collectors.joining("\n")),
          "processes left behind 20 s after the launcher JVM was killed");
    } finally {
      launcher.destroyForcibly();
      children.forEach(ProcessHandle::destroyForcibly);
    }
  }

  /** The launcher's output up to {@code ready: infrastructure}; fails if it exits first. */
  private static List<String> readUntilReady(Process launcher) throws InterruptedException {
    LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  lines.add(line);
                }
              } catch (java.io.IOException closed) {
                // the launcher was killed: its output ends here
              }
              lines.add("<end of output>");
            },
            "launcher-output");
    reader.setDaemon(true);
    reader.start();
    List<String> output = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (System.nanoTime() < deadline) {
      String line = lines.poll(1, TimeUnit.SECONDS);
      if (line == null) {
        continue;
      }
      output.add(line);
      if (line.equals("ready: infrastructure")) {
        return output;
      }
      if (line.equals("<end of output>")) {
        break;
      }
    }
    throw new AssertionError(
        "the launcher never got ready; its output:\n" + String.join("\n", output));
  }
}
