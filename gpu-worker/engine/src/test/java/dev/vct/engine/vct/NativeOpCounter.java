package dev.vct.engine.vct;

import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts the libtorch operators a piece of engine code runs, with torch's own profiler (every ATen
 * operator call, forward and backward, nested ones included): the per-call overhead measure of
 * issue 14, independent of the machine's load.
 */
final class NativeOpCounter {
  private static final Pattern EVENT =
      Pattern.compile("\"name\"\\s*:\\s*\"([^\"]*)\"[^{}]*\"ph\"\\s*:\\s*\"X\"");

  private NativeOpCounter() {}

  /** The number of operator events {@code body} records. */
  static long count(Path dir, Runnable body) {
    return histogram(dir, body).values().stream().mapToLong(Long::longValue).sum();
  }

  /** Operator events {@code body} records, by operator name. */
  static Map<String, Long> histogram(Path dir, Runnable body) {
    Path trace = dir.resolve("trace-" + System.nanoTime() + ".json");
    JniUtils.startProfile(false, false, false);
    try {
      body.run();
    } finally {
      JniUtils.stopProfile(trace.toString());
    }
    try {
      Matcher m = EVENT.matcher(Files.readString(trace));
      Map<String, Long> counts = new TreeMap<>();
      while (m.find()) {
        counts.merge(m.group(1), 1L, Long::sum);
      }
      return counts;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      try {
        Files.deleteIfExists(trace);
      } catch (IOException ignored) {
        // a temporary directory's file
      }
    }
  }
}
