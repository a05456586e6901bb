package dev.vct.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaTest {

  @Test
  void producesAndConsumesInsideTheTestJvm() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      List<String> sent = KafkaClients.numbered("e", 10);
      KafkaClients.produce(kafka.bootstrapServers(), "in-jvm", sent);
      List<String> received =
          KafkaClients.consume(kafka.bootstrapServers(), "in-jvm", 10, Duration.ofSeconds(30));
      assertEquals(new HashSet<>(sent), new HashSet<>(received));
    }
  }
}
