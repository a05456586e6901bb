package dev.vct.local;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node KRaft Kafka broker inside this JVM (Kafka's own {@link KafkaClusterTestKit}),
 * with the same settings as {@link KafkaBroker}: fast to start, for tests that do not need to kill
 * the broker. Its logs live in a temporary directory removed on {@link #close()}.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private final KafkaClusterTestKit cluster;

  private EmbeddedKafka(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  /** Starts a broker and waits until it is ready. */
  public static EmbeddedKafka start() {
    keepKafkaFromEndingThisJvm();
    TestKitNodes nodes =
        new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
            .build();
    KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
    KafkaBroker.SINGLE_NODE_SETTINGS.forEach(builder::setConfigProp);
    KafkaClusterTestKit cluster = null;
    try {
      cluster = builder.build();
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      return new EmbeddedKafka(cluster);
    } catch (Exception e) {
      if (cluster != null) {
        try {
          cluster.close();
        } catch (Exception closing) {
          e.addSuppressed(closing);
        }
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("cannot start the in-JVM Kafka broker: " + e.getMessage(), e);
    }
  }

  /**
   * Kafka's broker calls {@code Exit.exit/halt} on fatal errors, and some fire while the JVM is
   * already shutting down (for example when a shutdown hook has removed its log directory). In a
   * JVM that hosts tests, that turns a green run into a non-zero exit code; Kafka's own test
   * harness swaps these procedures out the same way.
   */
  private static void keepKafkaFromEndingThisJvm() {
    Exit.setExitProcedure(
        (code, message) ->
            System.err.println("in-JVM Kafka asked to exit(" + code + "): " + message));
    Exit.setHaltProcedure(
        (code, message) ->
            System.err.println("in-JVM Kafka asked to halt(" + code + "): " + message));
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  @Override
  public void close() {
    try {
      cluster.close();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("cannot stop the in-JVM Kafka broker: " + e.getMessage(), e);
    }
  }
}
