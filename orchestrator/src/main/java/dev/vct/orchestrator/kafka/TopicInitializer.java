package dev.vct.orchestrator.kafka;

import dev.vct.orchestrator.config.OrchestratorConfig;
import dev.vct.storage.event.kafka.TopicSetup;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Map;

/** Creates missing topics at start, with the partitions the worker pool needs. */
@ApplicationScoped
public class TopicInitializer {
  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> kafkaConfig;

  @Inject OrchestratorConfig config;

  void createTopics(@Observes @Priority(1) StartupEvent event) {
    TopicSetup.ensure(
        kafkaConfig, config.stageTopicPartitions(), (short) config.topicReplicationFactor());
  }
}
