package dev.vct.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaBrokerTest {

  @TempDir Path dataDir;

  @Test
  void acknowledgedMessagesSurviveASigkillAndRestartOnTheSamePort() throws Exception {
    try (KafkaBroker broker = new KafkaBroker(dataDir)) {
      broker.start();
      String bootstrap = broker.bootstrapServers();
      long firstPid = broker.pid();
      List<String> sent = KafkaClients.numbered("m", 50);
      KafkaClients.produce(bootstrap, "durable", sent);

      broker.kill();
      assertFalse(broker.isRunning());
      assertFalse(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false));

      broker.start();
      assertTrue(broker.isRunning());
      assertNotEquals(firstPid, broker.pid());
      assertEquals(bootstrap, broker.bootstrapServers());
      List<String> received =
          KafkaClients.consume(bootstrap, "durable", 50, Duration.ofSeconds(60));
      assertEquals(new HashSet<>(sent), new HashSet<>(received));
      assertEquals(50, received.size());
    }
  }

  @Test
  void createsTopicsOnFirstUseWithFourPartitions() throws Exception {
    try (KafkaBroker broker = new KafkaBroker(dataDir)) {
      broker.start();
      KafkaClients.produce(broker.bootstrapServers(), "auto-created", List.of("x"));
      try (var admin =
          org.apache.kafka.clients.admin.Admin.create(
              java.util.Map.of("bootstrap.servers", broker.bootstrapServers()))) {
        var topic =
            admin.describeTopics(List.of("auto-created")).allTopicNames().get().get("auto-created");
        assertEquals(KafkaBroker.DEFAULT_PARTITIONS, topic.partitions().size());
      }
      assertEquals(
          List.of("x"),
          KafkaClients.consume(
              broker.bootstrapServers(), "auto-created", 1, Duration.ofSeconds(30)));
    }
  }
}
