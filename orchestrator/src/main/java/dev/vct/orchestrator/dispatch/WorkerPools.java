package dev.vct.orchestrator.dispatch;

import dev.vct.orchestrator.config.OrchestratorConfig;
import dev.vct.storage.event.Topics;
import dev.vct.storage.job.Stage;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * The worker pools as Kafka sees them: a pool is the stages that one consumer group of workers
 * reads (groups that share a stage make one pool), and its live workers are the group members that
 * hold partitions of those stages' topics, each with the stage threads its client id states. A
 * worker that dies leaves its group after its session timeout, one that starts joins it: the pool's
 * slots follow without any setting. A stage no group reads is a pool of its own with no live
 * worker.
 */
@ApplicationScoped
public class WorkerPools {
  private static final Logger LOG = Logger.getLogger(WorkerPools.class);
  private static final Pattern THREADS = Pattern.compile("-threads-(\\d{1,4})$");

  /** One pool: its stages, in stage order, and its live workers' stage threads. */
  public record Pool(List<Stage> stages, int threads) {
    /** The pool's name in the database ({@code stage_dispatch.pool}): its stages' codes. */
    public String name() {
      return stages.stream().map(Stage::code).collect(Collectors.joining("+"));
    }
  }

  @Inject
  @Identifier("default-kafka-broker")
  Map<String, Object> kafkaConfig;

  @Inject OrchestratorConfig config;

  private volatile List<Pool> pools = split(List.of());
  private volatile Admin admin;
  private volatile boolean stopping;

  void start(@Observes StartupEvent event) {
    Map<String, Object> adminConfig = new HashMap<>(kafkaConfig);
    adminConfig.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    adminConfig.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    admin = Admin.create(adminConfig);
    refresh();
  }

  void stop(@Observes ShutdownEvent event) {
    stopping = true;
    if (admin != null) {
      admin.close();
    }
  }

  /** The pools as last read; each stage is in exactly one. */
  public List<Pool> pools() {
    return pools;
  }

  /** The most requests {@code pool} may have in flight. */
  public int slots(Pool pool) {
    int threads = config.dispatch().threads().orElse(pool.threads());
    return Math.max(config.dispatch().minSlots(), threads * config.dispatch().requestsPerThread());
  }

  @Scheduled(
      identity = "worker-pools",
      every = "${vct.orchestrator.dispatch.pool-refresh:2s}",
      delayed = "2s",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void refresh() {
    if (stopping || admin == null) {
      return;
    }
    try {
      Collection<GroupListing> listed =
          admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get(10, TimeUnit.SECONDS);
      List<String> ids = listed.stream().map(GroupListing::groupId).toList();
      Map<String, ConsumerGroupDescription> groups =
          ids.isEmpty()
              ? Map.of()
              : admin.describeConsumerGroups(ids).all().get(10, TimeUnit.SECONDS);
      List<Group> seen = new ArrayList<>();
      for (ConsumerGroupDescription group : groups.values()) {
        Set<Stage> stages = EnumSet.noneOf(Stage.class);
        int threads = 0;
        for (MemberDescription member : group.members()) {
          Set<Stage> held = stagesOf(member.assignment().topicPartitions());
          if (!held.isEmpty()) {
            threads += threads(member.clientId());
            stages.addAll(held);
          }
        }
        if (threads > 0) {
          seen.add(new Group(stages, threads));
        }
      }
      List<Pool> read = split(seen);
      if (!read.equals(pools)) {
        LOG.infof("worker pools: %s", describe(read));
      }
      pools = read;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      if (!stopping) {
        LOG.warnf("cannot read the worker pools from Kafka (%s); keeping %s", e, describe(pools));
      }
    }
  }

  /** One consumer group of workers: the stages its members hold partitions of, their threads. */
  record Group(Set<Stage> stages, int threads) {}

  /** A worker's client id ends in {@code -threads-<n>}; a client that does not say counts as 1. */
  static int threads(String clientId) {
    Matcher matcher = THREADS.matcher(clientId == null ? "" : clientId);
    return matcher.find() ? Math.max(1, Integer.parseInt(matcher.group(1))) : 1;
  }

  /**
   * Merges groups that share a stage into one pool (their workers add up), and makes a pool of no
   * worker for each stage no group reads.
   */
  static List<Pool> split(List<Group> groups) {
    List<Group> merged = new ArrayList<>();
    for (Group group : groups) {
      Set<Stage> stages = EnumSet.copyOf(group.stages());
      int threads = group.threads();
      for (int i = merged.size() - 1; i >= 0; i--) {
        if (merged.get(i).stages().stream().anyMatch(stages::contains)) {
          Group other = merged.remove(i);
          stages.addAll(other.stages());
          threads += other.threads();
        }
      }
      merged.add(new Group(stages, threads));
    }
    List<Pool> pools = new ArrayList<>();
    Set<Stage> covered = EnumSet.noneOf(Stage.class);
    for (Group group : merged) {
      covered.addAll(group.stages());
      pools.add(new Pool(List.copyOf(group.stages()), group.threads()));
    }
    for (Stage stage : Stage.values()) {
      if (!covered.contains(stage)) {
        pools.add(new Pool(List.of(stage), 0));
      }
    }
    pools.sort(Comparator.comparing(pool -> pool.stages().get(0)));
    return List.copyOf(pools);
  }

  private static Set<Stage> stagesOf(Set<TopicPartition> partitions) {
    Set<Stage> stages = EnumSet.noneOf(Stage.class);
    for (TopicPartition partition : partitions) {
      for (Stage stage : Stage.values()) {
        if (Topics.forStage(stage).equals(partition.topic())) {
          stages.add(stage);
        }
      }
    }
    return stages;
  }

  private static String describe(List<Pool> pools) {
    return pools.stream()
        .map(p -> p.name() + " (" + p.threads() + " worker threads)")
        .collect(Collectors.joining(", "));
  }
}
