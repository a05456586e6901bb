package dev.vct.local.child;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import kafka.Kafka;
import kafka.tools.StorageTool;

/**
 * A single-node KRaft Kafka server: formats the log directories of the given {@code
 * server.properties} with the given cluster id when they are not formatted yet (a restart keeps the
 * data; the id must stay the same), then runs {@link Kafka}.
 *
 * <p>Usage: {@code KafkaServerMain <server.properties> <cluster-id>}. Normally started through
 * {@link ChildMain} so it stops when the JVM that started it dies.
 */
public final class KafkaServerMain {

  private KafkaServerMain() {}

  public static void main(String[] args) {
    if (args.length != 2 || !Files.isRegularFile(Path.of(args[0]))) {
      System.err.println(
          "usage: KafkaServerMain <server.properties> <cluster-id> (the file must exist)");
      System.exit(2);
    }
    String config = args[0];
    String clusterId = args[1];
    ByteArrayOutputStream formatOutput = new ByteArrayOutputStream();
    int status;
    try (PrintStream out = new PrintStream(formatOutput, true, StandardCharsets.UTF_8)) {
      status =
          StorageTool.execute(
              new String[] {
                "format", "--cluster-id", clusterId, "--config", config, "--ignore-formatted"
              },
              out);
    }
    System.out.print(formatOutput.toString(StandardCharsets.UTF_8));
    if (status != 0) {
      System.err.println("vct kafka: formatting the log directories of " + config + " failed");
      System.exit(status);
    }
    Kafka.main(new String[] {config});
  }
}
