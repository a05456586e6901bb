package dev.vct.engine.vct;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-operator profile of one S1 content inversion (10 DDIM steps, 3 inner steps) on the oracle
 * fixtures' tiny pipeline, with torch's own profiler (issue 14): a diagnostic, run on demand with
 * {@code -Dvct.op-profile=true -Dtest=ContentInversionOpProfile}.
 *
 * <p>It prints, per operator that no other operator called (the engine's own calls and autograd's
 * backward nodes), the number of calls and the median duration times the calls. Medians, because
 * the profiler measures wall time and a machine shared with other builds preempts the process in
 * the middle of random operators; the profiler itself adds several microseconds per event, so the
 * figures rank operators rather than time the stage (its unprofiled time is printed beside them).
 */
class ContentInversionOpProfile {
  @TempDir Path dir;

  @Test
  void profilesOneS1ContentInversion() throws IOException {
    assumeTrue(Boolean.getBoolean("vct.op-profile"), "run with -Dvct.op-profile=true");
    String root = System.getProperty("vct.fixtures.dir", "");
    Path model = Path.of(root, "vct_model");
    assumeTrue(Files.isDirectory(model), "oracle fixtures not found at " + model);
    ContentInversionParams params =
        ContentInversionParams.defaults().withSteps(10, 3).withResolution(64);
    float[] source = TinyVct.image(64, 2);
    try (VctModels models = VctModels.load(model)) {
      Runnable run =
          () ->
              ContentInversion.start(models, params, source)
                  .run(ProgressListener.NONE, Cancellation.NEVER);
      run.run(); // warm-up
      long start = System.nanoTime();
      run.run();
      double plainMs = (System.nanoTime() - start) / 1e6;
      Path trace = dir.resolve("trace.json");
      JniUtils.startProfile(false, false, false);
      try {
        run.run();
      } finally {
        JniUtils.stopProfile(trace.toString());
      }
      Map<String, List<Double>> durations = topLevelDurations(trace);
      long calls = durations.values().stream().mapToLong(List::size).sum();
      System.out.printf(
          "S1 content inversion: %.0f ms unprofiled, %d top-level operator calls (%.1f us each)%n",
          plainMs, calls, plainMs * 1e3 / calls);
      System.out.printf("%-60s %7s %9s %12s%n", "operator", "calls", "median us", "median x n ms");
      durations.entrySet().stream()
          .sorted(Comparator.comparingDouble(e -> -median(e.getValue()) * e.getValue().size()))
          .limit(40)
          .forEach(
              e ->
                  System.out.printf(
                      "%-60s %7d %9.1f %12.1f%n",
                      e.getKey(),
                      e.getValue().size(),
                      median(e.getValue()),
                      median(e.getValue()) * e.getValue().size() / 1e3));
      assertTrue(calls > 0, "the profiler recorded no operator");
    }
  }

  /** Durations (us) of the events no other operator encloses on the same thread, by name. */
  private static Map<String, List<Double>> topLevelDurations(Path trace) throws IOException {
    JsonNode json = new ObjectMapper().readTree(trace.toFile());
    JsonNode events = json.isArray() ? json : json.get("traceEvents");
    List<JsonNode> spans = new ArrayList<>();
    events.forEach(
        e -> {
          if ("X".equals(e.path("ph").asText()) && e.has("dur")) {
            spans.add(e);
          }
        });
    spans.sort(
        Comparator.comparing((JsonNode e) -> e.path("tid").asText())
            .thenComparingDouble(e -> e.get("ts").asDouble())
            .thenComparingDouble(e -> -e.get("dur").asDouble()));
    Map<String, List<Double>> out = new TreeMap<>();
    Deque<double[]> open = new ArrayDeque<>(); // end times of enclosing operators
    String thread = null;
    for (JsonNode e : spans) {
      String tid = e.path("tid").asText();
      double ts = e.get("ts").asDouble();
      double dur = e.get("dur").asDouble();
      if (!tid.equals(thread)) {
        open.clear();
        thread = tid;
      }
      while (!open.isEmpty() && open.peek()[0] <= ts) {
        open.pop();
      }
      String name = e.get("name").asText();
      boolean operator = name.startsWith("aten::") || name.startsWith("autograd::");
      if (open.isEmpty()) {
        out.computeIfAbsent(name, k -> new ArrayList<>()).add(dur);
      }
      if (operator) {
        open.push(new double[] {ts + dur});
      }
    }
    return out;
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
