package dev.vct.storage.event.kafka;

import dev.vct.storage.event.Topics;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the {@link Topics} that do not exist yet, with enough partitions for the largest worker
 * pool (a stage topic's partitions bound how many workers serve it at once). Services call it at
 * start, so they never depend on a broker's auto-creation (which would make one partition).
 */
public final class TopicSetup {
  private TopicSetup() {}

  /**
   * @param adminConfig Kafka client settings (at least {@code bootstrap.servers})
   */
  public static void ensure(
      Map<String, Object> adminConfig, int partitions, short replicationFactor) {
    try (Admin admin = Admin.create(adminConfig)) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing =
          Topics.all().stream()
              .filter(topic -> !existing.contains(topic))
              .map(topic -> new NewTopic(topic, partitions, replicationFactor))
              .toList();
      if (missing.isEmpty()) {
        return;
      }
      try {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        // Another service created some of them at the same time: fine.
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot create the Kafka topics at "
              + adminConfig.get("bootstrap.servers")
              + ": "
              + e.getMessage(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating the Kafka topics", e);
    }
  }
}
