package dev.vct.local.test;

import dev.vct.local.EmbeddedKafka;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A real Kafka broker inside the test JVM ({@link EmbeddedKafka}), shared by every test in the JVM.
 * Sets {@code kafka.bootstrap.servers}. Tests that kill or restart the broker use {@link
 * KafkaProcessTestResource} instead.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

  @Override
  public Map<String, String> start() {
    return JvmShared.properties(
        "kafka",
        () -> {
          EmbeddedKafka kafka = EmbeddedKafka.start();
          Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "vct-stop-kafka"));
          return Map.of("kafka.bootstrap.servers", kafka.bootstrapServers());
        });
  }

  /** The broker outlives each test class; it stops when the JVM exits. */
  @Override
  public void stop() {}
}
