package dev.vct.system;

import com.sun.management.ThreadMXBean;
import dev.vct.local.S3Server;
import dev.vct.storage.blob.BlobStore;
import dev.vct.storage.blob.S3BlobStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code ./vct bench blobs}: the CPU one blob store operation costs, in this process (the {@link
 * S3BlobStore} as the services use it) and in the S3 server (s3proxy, as {@code ./vct up} and
 * {@code ./vct bench jobs} run it). Starts the server, then for each operation runs a warm-up and a
 * measured period of back-to-back calls from a few threads, and prints the CPU milliseconds per
 * call of each process (from {@code /proc}, so independent of the machine's load) and the calls per
 * second.
 */
public final class BlobsBenchmark {

  static final String USAGE =
      """
      usage: ./vct bench blobs [--ops put,get,head,list] [--size BYTES] [--threads N]
                               [--seconds N] [--warmup-seconds N] [--data-dir DIR] [--jfr DIR]

        --ops LIST           operations to measure, in order (default put,get,head,list): put
                             writes new keys, get reads a blob whole, head asks whether one
                             exists, list lists a prefix of 4 keys
        --size BYTES         bytes per blob (default 20, a simulated stage's output)
        --threads N          callers at once (default 4)
        --seconds N          measured time per operation (default 20)
        --warmup-seconds N   calls before each measured period (default 20: the JIT)
        --data-dir DIR       where the server keeps its objects (default: a temporary folder)
        --jfr DIR            record this process with Java Flight Recorder (settings=profile)
                             during each measured period, DIR/blobs-<op>.jfr
      """;

  /** Held so that its level stays set. */
  private static final Logger ROOT_LOGGER = Logger.getLogger("");

  private static final List<String> OPERATIONS = List.of("put", "get", "head", "list");

  private final BlobStore store;
  private final byte[] content;
  private final CpuMeter cpu;
  private final PrintStream out;
  private final AtomicLong sequence = new AtomicLong();

  private BlobsBenchmark(BlobStore store, int size, CpuMeter cpu, PrintStream out) {
    this.store = store;
    this.content = new byte[size];
    for (int i = 0; i < size; i++) {
      content[i] = (byte) ('0' + i % 10);
    }
    this.cpu = cpu;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Optional<Options> parsed =
        CommandOptions.parseOrExit("vct bench blobs", USAGE, args, Options::parse, Options::help);
    if (parsed.isEmpty()) {
      return;
    }
    Options options = parsed.get();
    if (!CpuMeter.available()) {
      System.err.println("vct bench blobs: needs Linux's /proc to measure CPU time");
      System.exit(1);
    }
    // INFO, as the services log: with the log manager's default every debug message of the AWS
    // SDK is formatted (and dropped), which the services never pay for.
    ROOT_LOGGER.setLevel(Level.INFO);
    PrintStream out = System.out;
    Path dataDir = CommandOptions.dataDir(options.dataDir(), "vct-bench-blobs-");
    S3Server server = new S3Server(dataDir);
    server.start();
    try (S3BlobStore store =
        new S3BlobStore(
            new S3BlobStore.Settings(
                URI.create(server.endpoint()),
                server.region(),
                "bench",
                server.accessKey(),
                server.secretKey()))) {
      out.printf(
          Locale.ROOT,
          "%s; %d-byte blobs, %d threads, %d s warm-up and %d s measured per operation%n",
          store.describe(),
          options.size(),
          options.threads(),
          options.warmupSeconds(),
          options.seconds());
      CpuMeter cpu =
          new CpuMeter(
              List.of(
                  new CpuMeter.Metered("client", ProcessHandle.current().pid(), false),
                  new CpuMeter.Metered("s3", server.pid(), false)));
      new BlobsBenchmark(store, options.size(), cpu, out).run(options);
    } finally {
      server.stop();
    }
  }

  private void run(Options options) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(options.threads());
    try {
      // The blobs that get, head and list read: one per thread, and a prefix of four.
      for (int i = 0; i < 4; i++) {
        put("read/" + i);
      }
      out.println(
          "operation  calls/s  client CPU ms/call (callers' threads)  s3 CPU ms/call"
              + "  KiB allocated/call");
      for (String op : options.operations()) {
        Runnable call = call(op);
        period(threads, options.threads(), call, options.warmupSeconds());
        FlightRecordings recordings =
            FlightRecordings.start(
                options.jfrDir(), Map.of("blobs-" + op, ProcessHandle.current().pid()));
        Map<String, Double> before = cpu.sample();
        long start = System.nanoTime();
        Calls calls = period(threads, options.threads(), call, options.seconds());
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> after = cpu.sample();
        recordings.stop().forEach(file -> out.println("  flight recording: " + file));
        out.printf(
            Locale.ROOT,
            "%-9s  %7.0f  %18.3f (%.3f)  %19.3f  %18.1f%n",
            op,
            calls.count() / seconds,
            (after.get("client") - before.get("client")) * 1000 / calls.count(),
            calls.threadCpuNanos() / 1e6 / calls.count(),
            (after.get("s3") - before.get("s3")) * 1000 / calls.count(),
            calls.allocatedBytes() / 1024.0 / calls.count());
      }
    } finally {
      threads.shutdownNow();
    }
  }

  private Runnable call(String op) {
    return switch (op) {
      case "put" -> () -> put("put/" + sequence.incrementAndGet());
      case "get" ->
          () -> {
            try (InputStream in = store.open("read/" + (sequence.incrementAndGet() % 4))) {
              if (in.readAllBytes().length != content.length) {
                throw new IllegalStateException("read back a blob of another size");
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          };
      case "head" ->
          () -> {
            if (!store.exists("read/" + (sequence.incrementAndGet() % 4))) {
              throw new IllegalStateException("a stored blob is missing");
            }
          };
      case "list" ->
          () -> {
            if (store.list("read/").size() != 4) {
              throw new IllegalStateException("listed another number of blobs");
            }
          };
      default -> throw new IllegalArgumentException("unknown operation " + op);
    };
  }

  private void put(String key) {
    store.put(key, new ByteArrayInputStream(content), content.length, "text/plain");
  }

  /** Calls and the CPU time their threads used. */
  private record Calls(long count, long threadCpuNanos, long allocatedBytes) {}

  /** Calls {@code call} back to back from {@code count} threads for {@code seconds}. */
  private static Calls period(ExecutorService threads, int count, Runnable call, int seconds)
      throws Exception {
    ThreadMXBean bean = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    List<Future<Calls>> workers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      workers.add(
          threads.submit(
              () -> {
                long cpuBefore = bean.getCurrentThreadCpuTime();
                long allocatedBefore = bean.getCurrentThreadAllocatedBytes();
                long calls = 0;
                while (System.nanoTime() < end) {
                  call.run();
                  calls++;
                }
                return new Calls(
                    calls,
                    bean.getCurrentThreadCpuTime() - cpuBefore,
                    bean.getCurrentThreadAllocatedBytes() - allocatedBefore);
              }));
    }
    long calls = 0;
    long cpu = 0;
    long allocated = 0;
    for (Future<Calls> worker : workers) {
      calls += worker.get().count();
      cpu += worker.get().threadCpuNanos();
      allocated += worker.get().allocatedBytes();
    }
    return new Calls(calls, cpu, allocated);
  }

  record Options(
      List<String> operations,
      int size,
      int threads,
      int seconds,
      int warmupSeconds,
      Path dataDir,
      Path jfrDir,
      boolean help) {

    static Options parse(String[] args) {
      Map<String, String> values =
          CommandLineFlags.parse(
              args,
              Set.of(
                  "--ops",
                  "--size",
                  "--threads",
                  "--seconds",
                  "--warmup-seconds",
                  "--data-dir",
                  "--jfr"),
              Set.of());
      List<String> operations =
          List.of(values.getOrDefault("--ops", "put,get,head,list").split(","));
      for (String op : operations) {
        if (!OPERATIONS.contains(op)) {
          throw new IllegalArgumentException(
              "unknown operation '" + op + "' in --ops; known: " + String.join(",", OPERATIONS));
        }
      }
      int size = (int) CommandLineFlags.whole(values, "--size", 20, 0);
      return new Options(
          operations,
          size,
          (int) CommandLineFlags.whole(values, "--threads", 4, 1),
          (int) CommandLineFlags.whole(values, "--seconds", 20, 1),
          (int) CommandLineFlags.whole(values, "--warmup-seconds", 20, 0),
          CommandLineFlags.path(values, "--data-dir"),
          CommandLineFlags.path(values, "--jfr"),
          values.containsKey(CommandLineFlags.HELP));
    }
  }
}
