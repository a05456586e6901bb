package dev.vct.local.test;

import dev.vct.local.KafkaBroker;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real Kafka broker in its own process, for tests that kill it ({@link KafkaBroker#kill()}) and
 * restart it ({@link KafkaBroker#start()}) on the same port with the same data. Not shared: each
 * use starts its own broker and stops it afterwards. Sets {@code kafka.bootstrap.servers} and fills
 * {@code @}{@link InjectKafkaBroker} fields.
 */
public class KafkaProcessTestResource implements QuarkusTestResourceLifecycleManager {

  private Path dataDir;
  private KafkaBroker broker;

  @Override
  public Map<String, String> start() {
    dataDir = JvmShared.tempDir("kafka-process");
    broker = new KafkaBroker(dataDir);
    broker.start();
    return Map.of("kafka.bootstrap.servers", broker.bootstrapServers());
  }

  @Override
  public void inject(TestInjector testInjector) {
    testInjector.injectIntoFields(
        broker,
        new TestInjector.AnnotatedAndMatchesType(InjectKafkaBroker.class, KafkaBroker.class));
  }

  @Override
  public void stop() {
    if (broker != null) {
      broker.stop();
      broker = null;
    }
    if (dataDir != null) {
      JvmShared.deleteRecursively(dataDir);
      dataDir = null;
    }
  }
}
