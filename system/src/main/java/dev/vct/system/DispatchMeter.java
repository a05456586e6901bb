package dev.vct.system;

import dev.vct.system.JobClient.StageTimes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the orchestrator's dispatcher did during a benchmark step: its rounds by outcome (from the
 * orchestrator's {@code /q/metrics}, before and after the step), and from the step's stage runs in
 * PostgreSQL how long each waited {@code queued} for a slot, how long it was in flight (dispatch to
 * its success being applied, the time it held a slot), and each pool's slot occupancy over the step
 * (time-weighted mean and the share of the time it was at its cap).
 */
final class DispatchMeter {
  private static final Pattern SAMPLE =
      Pattern.compile("^(vct_dispatch_(?:rounds|sent)_total)\\{([^}]*)}\\s+([0-9.eE+-]+)$");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private final String metricsUrl;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  DispatchMeter(String orchestratorUrl) {
    this.metricsUrl = orchestratorUrl + "/q/metrics";
  }

  /** The dispatcher's counters now, by name and labels; empty when they cannot be read. */
  Map<String, Double> sample() {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(metricsUrl))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return parse(response.body());
    } catch (IOException e) {
      return Map.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Map.of();
    }
  }

  /** The dispatch counters of a Prometheus text page, keyed {@code rounds pool outcome locked}. */
  static Map<String, Double> parse(String page) {
    Map<String, Double> values = new TreeMap<>();
    for (String line : page.split("\n")) {
      Matcher sample = SAMPLE.matcher(line.trim());
      if (!sample.matches()) {
        continue;
      }
      Map<String, String> labels = new HashMap<>();
      Matcher label = LABEL.matcher(sample.group(2));
      while (label.find()) {
        labels.put(label.group(1), label.group(2));
      }
      String key =
          sample.group(1).contains("rounds")
              ? "rounds "
                  + labels.get("pool")
                  + " "
                  + labels.get("outcome")
                  + " "
                  + labels.get("locked")
              : "sent " + labels.get("pool");
      values.put(key, Double.parseDouble(sample.group(3)));
    }
    return values;
  }

  /** Lines describing the dispatch of {@code jobs}' stage runs between the two samples. */
  String describe(
      Map<String, Double> before,
      Map<String, Double> after,
      List<StageTimes> runs,
      Map<String, Map.Entry<String, Integer>> pools,
      Instant from,
      Instant to) {
    StringBuilder text = new StringBuilder();
    Map<String, List<StageTimes>> byPool = new TreeMap<>();
    for (StageTimes run : runs) {
      if (run.dispatchedAt() != null && run.finishedAt() != null) {
        String pool = pools.containsKey(run.stage()) ? pools.get(run.stage()).getKey() : "?";
        byPool.computeIfAbsent(pool, p -> new ArrayList<>()).add(run);
      }
    }
    byPool.forEach(
        (pool, poolRuns) -> {
          int slots =
              pools.values().stream()
                  .filter(p -> p.getKey().equals(pool))
                  .mapToInt(Map.Entry::getValue)
                  .findFirst()
                  .orElse(0);
          text.append(occupancy(pool, slots, poolRuns, from, to)).append('\n');
          text.append(rounds(pool, before, after)).append('\n');
        });
    List<Long> queued = new ArrayList<>();
    List<Long> inFlight = new ArrayList<>();
    for (StageTimes run : runs) {
      if (run.queuedAt() != null && run.dispatchedAt() != null) {
        queued.add(Duration.between(run.queuedAt(), run.dispatchedAt()).toMillis());
      }
      if (run.dispatchedAt() != null && run.finishedAt() != null) {
        inFlight.add(Duration.between(run.dispatchedAt(), run.finishedAt()).toMillis());
      }
    }
    text.append(row("stage run queued (waits for a slot)", queued));
    text.append(row("stage run in flight (holds a slot)", inFlight));
    return text.toString();
  }

  /**
   * Time-weighted mean of the runs in flight over the step, their most at once, and the share of
   * the step the pool was at its cap.
   */
  private static String occupancy(
      String pool, int slots, List<StageTimes> runs, Instant from, Instant to) {
    List<long[]> changes = new ArrayList<>();
    for (StageTimes run : runs) {
      changes.add(new long[] {micros(run.dispatchedAt()), 1});
      changes.add(new long[] {micros(run.finishedAt()), -1});
    }
    changes.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    long start = micros(from);
    long end = Math.max(micros(to), start + 1);
    long weighted = 0;
    long atCap = 0;
    int current = 0;
    int most = 0;
    long last = start;
    for (long[] change : changes) {
      long at = Math.max(start, Math.min(end, change[0]));
      weighted += current * (at - last);
      if (slots > 0 && current >= slots) {
        atCap += at - last;
      }
      last = at;
      current += (int) change[1];
      most = Math.max(most, current);
    }
    weighted += current * (end - last);
    return String.format(
        Locale.ROOT,
        "  dispatch: pool %s, %d slots: in flight mean %.2f, most %d, at the cap %.1f%% of the step",
        pool,
        slots,
        weighted / (double) (end - start),
        most,
        100.0 * atCap / (end - start));
  }

  private static String rounds(String pool, Map<String, Double> before, Map<String, Double> after) {
    if (after.isEmpty()) {
      return "    rounds: (the orchestrator's /q/metrics could not be read)";
    }
    Map<String, Long> byOutcome = new TreeMap<>();
    long readOnly = 0;
    long total = 0;
    for (Map.Entry<String, Double> entry : after.entrySet()) {
      String[] key = entry.getKey().split(" ");
      if (!key[0].equals("rounds") || !key[1].equals(pool)) {
        continue;
      }
      long count = Math.round(entry.getValue() - before.getOrDefault(entry.getKey(), 0.0));
      byOutcome.merge(key[2], count, Long::sum);
      total += count;
      if (key[3].equals("false")) {
        readOnly += count;
      }
    }
    long sent =
        Math.round(
            after.getOrDefault("sent " + pool, 0.0) - before.getOrDefault("sent " + pool, 0.0));
    long sending = byOutcome.getOrDefault("sent", 0L);
    return String.format(
        Locale.ROOT,
        "    rounds %d (%s; %d read-only), %d requests sent, %.2f per sending round",
        total,
        byOutcome.toString().replaceAll("[{}]", ""),
        readOnly,
        sent,
        sending == 0 ? 0.0 : sent / (double) sending);
  }

  private static String row(String name, Collection<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return String.format(
        Locale.ROOT,
        "  %-38s p50 %5d  p90 %5d  p99 %5d  max %5d ms%n",
        name,
        percentile(sorted, 50),
        percentile(sorted, 90),
        percentile(sorted, 99),
        percentile(sorted, 100));
  }

  private static long percentile(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return -1;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  private static long micros(Instant at) {
    return at.getEpochSecond() * 1_000_000 + at.getNano() / 1_000;
  }
}
