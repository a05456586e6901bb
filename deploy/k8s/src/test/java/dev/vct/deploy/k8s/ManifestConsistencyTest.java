package dev.vct.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.engine.vct.ConceptInversionParams;
import dev.vct.storage.event.Topics;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The objects each Kustomize folder deploys agree with the services' configuration as the
 * repository holds it now: names, ports, topics, consumer groups, environment variables, probes,
 * grace periods, GPUs and volumes. Run for the base and for every overlay.
 */
class ManifestConsistencyTest {

  private static final Map<String, ManifestSet> SETS = new HashMap<>();

  /** Worker settings that locate model weights, e.g. {@code vct.worker.model-path}. */
  private static final Pattern MODEL_LOCATION =
      Pattern.compile("model[-.](path|dir|directory|root)$|models?-(path|dir)$");

  /** The base and every overlay. */
  static List<String> folders() {
    List<String> out = new ArrayList<>();
    out.add("base");
    try (Stream<Path> overlays = Files.list(Repo.K8S.resolve("overlays"))) {
      overlays
          .filter(Files::isDirectory)
          .sorted()
          .forEach(d -> out.add("overlays/" + d.getFileName()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  private static synchronized ManifestSet set(String folder) {
    return SETS.computeIfAbsent(folder, ManifestSet::of);
  }

  /** A container of a VCT service, with its workload, service configuration and environment. */
  record VctContainer(
      Manifest workload, JsonNode container, ServiceConfig service, ContainerEnv env) {
    String describe() {
      return workload.describe() + " container " + container.path("name").asText();
    }

    String image() {
      return container.path("image").asText();
    }

    boolean requestsGpu() {
      JsonNode resources = container.path("resources");
      return resources.path("limits").has("nvidia.com/gpu")
          || resources.path("requests").has("nvidia.com/gpu");
    }
  }

  private static List<VctContainer> vctContainers(ManifestSet set) {
    List<VctContainer> out = new ArrayList<>();
    for (Manifest workload : set.workloads()) {
      for (JsonNode container : workload.containers()) {
        ServiceConfig.forContainer(container.path("name").asText())
            .ifPresent(
                s ->
                    out.add(
                        new VctContainer(
                            workload, container, s, new ContainerEnv(container, set))));
      }
    }
    return out;
  }

  private static List<VctContainer> workers(ManifestSet set) {
    return vctContainers(set).stream().filter(c -> c.service().container.equals("worker")).toList();
  }

  private static void assertNoProblems(ManifestSet set, List<String> problems) {
    assertEquals(List.of(), problems, set.label() + ": " + problems.size() + " problem(s)");
  }

  @ParameterizedTest
  @MethodSource("folders")
  void everyServiceIsDeployed(String folder) {
    ManifestSet set = set(folder);
    Set<String> deployed = new TreeSet<>();
    vctContainers(set).forEach(c -> deployed.add(c.service().container));
    assertEquals(new TreeSet<>(ServiceConfig.MODULE_BY_CONTAINER.keySet()), deployed, folder);
  }

  @ParameterizedTest
  @MethodSource("folders")
  void everyEnvironmentVariableIsReadByItsService(String folder) {
    ManifestSet set = set(folder);
    QuarkusConfigModel quarkus = QuarkusConfigModel.load();
    List<String> problems = new ArrayList<>();
    for (VctContainer c : vctContainers(set)) {
      c.env().problems().forEach(p -> problems.add(c.describe() + ": " + p));
      for (String env : c.env().settings().keySet()) {
        Optional<String> why = c.service().whyRead(env, quarkus);
        if (why.isEmpty()) {
          problems.add(
              c.describe()
                  + ": "
                  + env
                  + " is read by nothing in "
                  + c.service().name()
                  + " (no property of its application.properties or @ConfigMapping interfaces,"
                  + " no Quarkus runtime property, not read by name by its code or image)");
        } else if (why.get().startsWith("build-time")) {
          problems.add(
              c.describe() + ": " + env + " is a " + why.get() + ": set it at build, not in a pod");
        }
      }
    }
    assertNoProblems(set, problems);
  }

  @ParameterizedTest
  @MethodSource("folders")
  void everySettingAServiceNeedsIsSet(String folder) {
    ManifestSet set = set(folder);
    String page = Repo.read(Repo.ROOT.resolve("docs/deploy-kubernetes.md"));
    List<String> problems = new ArrayList<>();
    for (VctContainer c : vctContainers(set)) {
      ServiceConfig s = c.service();
      List<String> needed = new ArrayList<>();
      s.requiredWithoutValue().forEach(p -> needed.add(MappedProperty.envName(p)));
      if (s.hasDatasource()) {
        needed.addAll(
            List.of(
                "QUARKUS_DATASOURCE_JDBC_URL",
                "QUARKUS_DATASOURCE_USERNAME",
                "QUARKUS_DATASOURCE_PASSWORD"));
      }
      if (s.usesKafka()) {
        needed.add("KAFKA_BOOTSTRAP_SERVERS");
      }
      if (s.usesBlobStore()) {
        needed.addAll(
            List.of(
                "VCT_BLOB_S3_REGION",
                "VCT_BLOB_S3_BUCKET",
                "VCT_BLOB_S3_ACCESS_KEY_ID",
                "VCT_BLOB_S3_SECRET_ACCESS_KEY"));
        String store = s.effective("vct.blob.store", c.env()).orElse("");
        if (!store.equalsIgnoreCase("s3")) {
          problems.add(
              c.describe()
                  + ": vct.blob.store is '"
                  + store
                  + "': pods must share one S3 store, not each their own filesystem");
        }
      }
      for (String env : needed) {
        if (!c.env().isSet(env)) {
          problems.add(c.describe() + ": " + s.name() + " needs " + env + ", which is not set");
        }
      }
      for (ContainerEnv.Setting setting : c.env().settings().values()) {
        if (setting.secret() != null && set.find("Secret", setting.secret()).isEmpty()) {
          externalSecretProblem(set, setting, page)
              .ifPresent(p -> problems.add(c.describe() + ": " + p));
        }
      }
    }
    assertNoProblems(set, problems);
  }

  /**
   * A Secret the manifests use but do not define is either one an operator makes (CloudNativePG's
   * {@code <cluster>-app}) or one the deploy page tells the user to create, with this key.
   */
  private static Optional<String> externalSecretProblem(
      ManifestSet set, ContainerEnv.Setting setting, String page) {
    String secret = setting.secret();
    for (Manifest cluster : set.ofKind("Cluster")) {
      if (secret.equals(cluster.name() + "-app")) {
        return Set.of("username", "password", "uri", "jdbc-uri", "host", "port", "dbname")
                .contains(setting.key())
            ? Optional.empty()
            : Optional.of(secret + " (made by CloudNativePG) has no key " + setting.key());
      }
    }
    if (!page.contains("create secret generic " + secret)) {
      return Optional.of(
          "Secret " + secret + " is not in the manifests and the deploy page never creates it");
    }
    if (!page.contains("--from-literal=" + setting.key() + "=")) {
      return Optional.of(
          "the deploy page creates Secret " + secret + " without key " + setting.key());
    }
    return Optional.empty();
  }

  @ParameterizedTest
  @MethodSource("folders")
  void platformAddressesPointAtTheOperatorsResources(String folder) {
    ManifestSet set = set(folder);
    List<String> problems = new ArrayList<>();
    String kafka = only(set, "Kafka").name();
    JsonNode plain = plainListener(set);
    Manifest db = only(set, "Cluster");
    String database = db.spec().path("bootstrap").path("initdb").path("database").asText();
    for (VctContainer c : vctContainers(set)) {
      String ns = namespace(set, c.workload());
      String expectedKafka =
          kafka + "-kafka-bootstrap." + ns + ".svc:" + plain.path("port").asInt();
      c.env()
          .value("KAFKA_BOOTSTRAP_SERVERS")
          .filter(v -> !v.equals(expectedKafka))
          .ifPresent(
              v ->
                  problems.add(
                      c.describe()
                          + ": KAFKA_BOOTSTRAP_SERVERS="
                          + v
                          + ", expected Strimzi's "
                          + expectedKafka
                          + " (fully qualified: KEDA resolves it from its own namespace)"));
      Pattern jdbc =
          Pattern.compile(
              "jdbc:postgresql://"
                  + Pattern.quote(db.name() + "-rw")
                  + "(\\."
                  + Pattern.quote(ns)
                  + "(\\.svc(\\.cluster\\.local)?)?)?:5432/"
                  + Pattern.quote(database));
      c.env()
          .value("QUARKUS_DATASOURCE_JDBC_URL")
          .filter(v -> !jdbc.matcher(v).matches())
          .ifPresent(
              v ->
                  problems.add(
                      c.describe()
                          + ": QUARKUS_DATASOURCE_JDBC_URL="
                          + v
                          + ", expected CloudNativePG's "
                          + db.name()
                          + "-rw:5432/"
                          + database));
      // Workers log in as the read-only role the Cluster manages; the other services as owner.
      boolean worker = c.service().container.equals("worker");
      String login = worker ? managedRoleSecret(db, "vct_worker") : db.name() + "-app";
      for (String env : List.of("QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD")) {
        ContainerEnv.Setting s = c.env().settings().get(env);
        if (s != null && !login.equals(s.secret())) {
          problems.add(
              c.describe()
                  + ": "
                  + env
                  + " must come from Secret "
                  + login
                  + (worker ? " (the Cluster's managed role vct_worker)" : ""));
        }
      }
    }
    assertNoProblems(set, problems);
  }

  /** The Secret that holds the password of {@code role}, a managed role of {@code cluster}. */
  private static String managedRoleSecret(Manifest cluster, String role) {
    for (JsonNode managed : cluster.spec().path("managed").path("roles")) {
      if (managed.path("name").asText().equals(role)) {
        return managed.path("passwordSecret").path("name").asText("(no passwordSecret)");
      }
    }
    return "(no managed role " + role + " in Cluster " + cluster.name() + ")";
  }

  @ParameterizedTest
  @MethodSource("folders")
  void servicesAndContainersUseTheServicesHttpPorts(String folder) {
    ManifestSet set = set(folder);
    List<String> problems = new ArrayList<>();
    for (VctContainer c : vctContainers(set)) {
      int port = c.service().httpPort(c.env());
      Optional<Integer> http = containerPort(c.container(), "http");
      if (http.isEmpty() || http.get() != port) {
        problems.add(
            c.describe()
                + ": container port 'http' is "
                + http.orElse(null)
                + ", the service listens on "
                + port);
      }
      String scrape =
          c.workload()
              .spec()
              .path("template")
              .path("metadata")
              .path("annotations")
              .path("prometheus.io/port")
              .asText("");
      if (!scrape.isEmpty() && !scrape.equals(String.valueOf(port))) {
        problems.add(
            c.describe() + ": prometheus.io/port " + scrape + " is not the HTTP port " + port);
      }
    }
    for (Manifest service : set.ofKind("Service")) {
      JsonNode selector = service.spec().path("selector");
      List<Manifest> selected =
          set.workloads().stream().filter(w -> w.podsMatch(selector)).toList();
      if (selected.isEmpty()) {
        problems.add(service.describe() + " selects no workload");
        continue;
      }
      for (JsonNode port : service.spec().path("ports")) {
        JsonNode target = port.has("targetPort") ? port.path("targetPort") : port.path("port");
        for (Manifest w : selected) {
          boolean found =
              w.containers().stream()
                  .anyMatch(
                      c ->
                          target.isInt()
                              ? containerPorts(c).containsValue(target.asInt())
                              : containerPorts(c).containsKey(target.asText()));
          if (!found) {
            problems.add(
                service.describe()
                    + " port "
                    + target.asText()
                    + " is no container port of "
                    + w.describe());
          }
        }
      }
    }
    assertNoProblems(set, problems);
  }

  @ParameterizedTest
  @MethodSource("folders")
  void probesUseTheQuarkusHealthEndpoints(String folder) {
    ManifestSet set = set(folder);
    List<String> problems = new ArrayList<>();
    for (VctContainer c : vctContainers(set)) {
      String root =
          c.service().effective("quarkus.http.non-application-root-path", c.env()).orElse("q");
      String health = "/" + root.replaceAll("^/|/$", "") + "/health";
      int port = c.service().httpPort(c.env());
      Map<String, String> expected =
          Map.of(
              "readinessProbe",
              health + "/ready",
              "livenessProbe",
              health + "/live",
              "startupProbe",
              health + "/started");
      for (var probe : expected.entrySet()) {
        JsonNode get = c.container().path(probe.getKey()).path("httpGet");
        if (get.isMissingNode()) {
          if (!probe.getKey().equals("startupProbe")) {
            problems.add(
                c.describe() + ": no " + probe.getKey() + " (HTTP GET " + probe.getValue() + ")");
          }
          continue;
        }
        if (!get.path("path").asText().equals(probe.getValue())) {
          problems.add(
              c.describe()
                  + ": "
                  + probe.getKey()
                  + " path "
                  + get.path("path").asText()
                  + ", expected "
                  + probe.getValue());
        }
        JsonNode p = get.path("port");
        boolean portOk =
            p.isInt()
                ? p.asInt() == port
                : containerPort(c.container(), p.asText()).orElse(-1) == port;
        if (!portOk) {
          problems.add(
              c.describe()
                  + ": "
                  + probe.getKey()
                  + " port "
                  + p.asText()
                  + " is not the HTTP port "
                  + port);
        }
      }
    }
    assertNoProblems(set, problems);
  }

  @ParameterizedTest
  @MethodSource("folders")
  void kafkaTopicsAreExactlyTheTopicsOfStorage(String folder) throws IllegalAccessException {
    ManifestSet set = set(folder);
    List<String> problems = new ArrayList<>();
    Set<String> constants = new TreeSet<>();
    for (Field f : Topics.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        constants.add((String) f.get(null));
      }
    }
    assertEquals(
        constants, new TreeSet<>(Topics.all()), "Topics.all() must list every constant of Topics");
    Map<String, Manifest> topics = topics(set);
    assertEquals(
        constants,
        new TreeSet<>(topics.keySet()),
        set.label() + ": KafkaTopics vs dev.vct.storage.event.Topics");

    Manifest kafka = only(set, "Kafka");
    int brokers = 0;
    for (Manifest pool : set.ofKind("KafkaNodePool")) {
      boolean broker = false;
      for (JsonNode role : pool.spec().path("roles")) {
        broker |= role.asText().equals("broker");
      }
      if (broker
          && kafka
              .name()
              .equals(
                  pool.node()
                      .path("metadata")
                      .path("labels")
                      .path("strimzi.io/cluster")
                      .asText())) {
        brokers += pool.spec().path("replicas").asInt();
      }
    }
    int clusterMinIsr =
        kafka.spec().path("kafka").path("config").path("min.insync.replicas").asInt(1);
    for (Manifest topic : topics.values()) {
      String cluster =
          topic.node().path("metadata").path("labels").path("strimzi.io/cluster").asText();
      if (!cluster.equals(kafka.name())) {
        problems.add(
            topic.describe()
                + ": label strimzi.io/cluster is '"
                + cluster
                + "', the cluster is "
                + kafka.name());
      }
      int replicas = topic.spec().path("replicas").asInt();
      if (replicas < 1 || replicas > brokers) {
        problems.add(topic.describe() + ": " + replicas + " replicas on " + brokers + " broker(s)");
      }
      int minIsr = topic.spec().path("config").path("min.insync.replicas").asInt(clusterMinIsr);
      if (minIsr > replicas) {
        problems.add(
            topic.describe()
                + ": min.insync.replicas "
                + minIsr
                + " > "
                + replicas
                + " replicas: no write would succeed");
      }
    }
    // Services that create missing topics must create them with the same shape.
    for (VctContainer c : vctContainers(set)) {
      for (MappedProperty p : c.service().mapped) {
        String field =
            p.name().endsWith("topic-partitions")
                ? "partitions"
                : p.name().endsWith("topic-replication-factor") ? "replicas" : null;
        if (field == null) {
          continue;
        }
        String value = c.service().effective(p.name(), c.env()).orElse("");
        for (Manifest topic : topics.values()) {
          if (!value.equals(topic.spec().path(field).asText())) {
            problems.add(
                c.describe()
                    + ": "
                    + p.name()
                    + "="
                    + value
                    + " but "
                    + topic.describe()
                    + " has "
                    + field
                    + " "
                    + topic.spec().path(field).asText());
          }
        }
      }
    }
    assertNoProblems(set, problems);
  }

  @ParameterizedTest
  @MethodSource("folders")
  void workerPoolsScaleOnTheLagOfTheirOwnConsumerGroups(String folder) {
    ManifestSet set = set(folder);
    List<String> problems = new ArrayList<>();
    Map<String, Manifest> topics = topics(set);
    String resetPolicy = workerOffsetReset();
    Set<String> servedTopics = new TreeSet<>();
    Map<String, String> groupOwner = new HashMap<>();
    List<VctContainer> workers = workers(set);
    assertFalse(workers.isEmpty(), folder + " deploys no worker");
    for (VctContainer w : workers) {
      ServiceConfig s = w.service();
      String pool = w.workload().name();
      Set<String> served = new TreeSet<>();
      for (String stage : s.effective("vct.worker.stages", w.env()).orElse("").split(",")) {
        String topic = "vct.stage." + stage.trim();
        if (!Topics.all().contains(topic)) {
          problems.add(w.describe() + ": stage '" + stage + "' has no topic in Topics");
        }
        served.add(topic);
      }
      servedTopics.addAll(served);
      String group = s.effective("vct.worker.group-id", w.env()).orElse("");
      String other = groupOwner.put(group, pool);
      if (other != null) {
        problems.add(
            pool
                + " and "
                + other
                + " share consumer group "
                + group
                + ": each pool needs its own, or their rebalances mix");
      }
      if (w.workload().spec().has("replicas")) {
        problems.add(
            w.workload().describe()
                + ": sets replicas, which KEDA owns (re-applying would reset a busy pool)");
      }
      List<Manifest> scalers =
          set.ofKind("ScaledObject").stream()
              .filter(so -> so.spec().path("scaleTargetRef").path("name").asText().equals(pool))
              .toList();
      if (scalers.size() != 1) {
        problems.add(pool + ": " + scalers.size() + " ScaledObjects target it, expected one");
        continue;
      }
      JsonNode so = scalers.get(0).spec();
      Set<String> triggerTopics = new TreeSet<>();
      Set<String> triggerNames = new TreeSet<>();
      String threshold = null;
      for (JsonNode trigger : so.path("triggers")) {
        JsonNode md = trigger.path("metadata");
        if (!trigger.path("type").asText().equals("kafka")) {
          problems.add(
              pool + ": trigger of type " + trigger.path("type").asText() + ", expected kafka");
          continue;
        }
        triggerTopics.add(md.path("topic").asText());
        triggerNames.add(trigger.path("name").asText());
        threshold = md.path("lagThreshold").asText();
        if (!md.path("consumerGroup").asText().equals(group)) {
          problems.add(
              pool
                  + ": trigger watches group "
                  + md.path("consumerGroup").asText()
                  + ", the workers use "
                  + group);
        }
        String bootstrap = w.env().value("KAFKA_BOOTSTRAP_SERVERS").orElse("");
        if (!md.path("bootstrapServers").asText().equals(bootstrap)) {
          problems.add(
              pool
                  + ": trigger connects to "
                  + md.path("bootstrapServers").asText()
                  + ", the workers to "
                  + bootstrap);
        }
        if (!md.path("offsetResetPolicy").asText("latest").equals(resetPolicy)) {
          problems.add(
              pool
                  + ": trigger offsetResetPolicy "
                  + md.path("offsetResetPolicy").asText("latest")
                  + ", the worker resets to "
                  + resetPolicy);
        }
      }
      if (!triggerTopics.equals(served)) {
        problems.add(pool + ": triggers watch " + triggerTopics + ", the workers serve " + served);
      }
      if (triggerNames.size() > 1) {
        JsonNode modifiers = so.path("advanced").path("scalingModifiers");
        Set<String> summed = new TreeSet<>();
        for (String term : modifiers.path("formula").asText().split("\\+")) {
          summed.add(term.trim());
        }
        if (!summed.equals(triggerNames) || !modifiers.path("target").asText().equals(threshold)) {
          problems.add(
              pool
                  + ": several topics: scalingModifiers must sum "
                  + triggerNames
                  + " with target "
                  + threshold);
        }
      }
      int max = so.path("maxReplicaCount").asInt(100);
      int min = so.path("minReplicaCount").asInt(0);
      for (String topic : served) {
        Manifest t = topics.get(topic);
        int partitions = t == null ? 0 : t.spec().path("partitions").asInt();
        if (max > partitions) {
          problems.add(
              pool
                  + ": maxReplicaCount "
                  + max
                  + " > "
                  + partitions
                  + " partitions of "
                  + topic
                  + " (workers past that sit idle)");
        }
      }
      if (min > max) {
        problems.add(pool + ": minReplicaCount " + min + " > maxReplicaCount " + max);
      }
      if (w.requestsGpu() && min != 0) {
        problems.add(pool + ": a GPU pool must scale to zero (minReplicaCount " + min + ")");
      }
    }
    for (String topic : Topics.all()) {
      if (topic.startsWith("vct.stage.")
          && !topic.equals(Topics.STAGE_EVENTS)
          && !servedTopics.contains(topic)) {
        problems.add("no worker pool serves " + topic);
      }
    }
    assertNoProblems(set, problems);
  }

  @ParameterizedTest
  @MethodSource("folders")
  void workersDrainWithinTheirGracePeriod(String folder) {
    ManifestSet set = set(folder);
    List<String> problems = new ArrayList<>();
    for (VctContainer w : workers(set)) {
      long grace = w.workload().podSpec().path("terminationGracePeriodSeconds").asLong(30);
      Duration checkpoint =
          Durations.parse(
              w.service().effective("vct.worker.checkpoint.every", w.env()).orElseThrow());
      Duration drain =
          Durations.parse(w.service().effective("vct.worker.drain-timeout", w.env()).orElseThrow());
      if (grace <= checkpoint.toSeconds()) {
        problems.add(
            w.describe()
                + ": terminationGracePeriodSeconds "
                + grace
                + " <= checkpoint interval "
                + checkpoint.toSeconds()
                + " s");
      }
      // The consumer also needs a few seconds after the drain to commit and leave the group.
      if (grace < drain.toSeconds() + 10) {
        problems.add(
            w.describe()
                + ": terminationGracePeriodSeconds "
                + grace
                + " leaves less than 10 s after the drain timeout "
                + drain.toSeconds()
                + " s");
      }
    }
    assertNoProblems(set, problems);
  }

  @ParameterizedTest
  @MethodSource("folders")
  void everyServiceHasADisruptionBudgetThatAllowsDrains(String folder) {
    ManifestSet set = set(folder);
    List<String> problems = new ArrayList<>();
    Set<Manifest> workloads = new LinkedHashSet<>();
    vctContainers(set).forEach(c -> workloads.add(c.workload()));
    for (Manifest w : workloads) {
      List<Manifest> budgets =
          set.ofKind("PodDisruptionBudget").stream()
              .filter(pdb -> w.podsMatch(pdb.spec().path("selector").path("matchLabels")))
              .toList();
      if (budgets.size() != 1) {
        problems.add(w.describe() + ": " + budgets.size() + " PodDisruptionBudgets, expected one");
        continue;
      }
      JsonNode spec = budgets.get(0).spec();
      boolean allowsEviction =
          spec.path("maxUnavailable").asInt(0) >= 1
              || (spec.has("minAvailable")
                  && spec.path("minAvailable").asInt() < w.spec().path("replicas").asInt(1));
      if (!allowsEviction) {
        problems.add(
            budgets.get(0).describe() + " never allows an eviction: node drains would hang");
      }
    }
    assertNoProblems(set, problems);
  }

  /**
   * A worker that runs concept inversion has the memory for its concept batch at the default
   * resolution (512 px) on SD-1.5: one micro-step's UNet pass with backward peaks at 8.9 GiB, two
   * at 13.5 GiB (docs/bench-memory.md), so about 4.6 GiB per micro-step more. Unset,
   * VCT_CONCEPT_BATCH is the worker's own default by the resolution.
   */
  @ParameterizedTest
  @MethodSource("folders")
  void conceptInversionWorkersHaveTheMemoryForTheirConceptBatch(String folder) {
    ManifestSet set = set(folder);
    List<String> problems = new ArrayList<>();
    int workers = 0;
    for (VctContainer c : workers(set)) {
      String stages = c.service().effective("vct.worker.stages", c.env()).orElse("");
      if (!stages.isBlank() && !List.of(stages.split(",")).contains("concept-inversion")) {
        continue;
      }
      workers++;
      int batch =
          c.service()
              .effective("vct.concept.batch", c.env())
              .map(Integer::parseInt)
              .orElse(ConceptInversionParams.defaults().defaultBatch());
      double needed = 8.9 + 4.6 * (batch - 1);
      String limit = c.container().path("resources").path("limits").path("memory").asText("");
      if (gibibytes(limit) < needed) {
        problems.add(
            String.format(
                Locale.ROOT,
                "%s: concept batch %d at 512 px needs about %.1f GiB, memory limit '%s'",
                c.describe(),
                batch,
                needed,
                limit));
      }
    }
    assertTrue(workers > 0, folder + ": no worker runs concept inversion");
    assertNoProblems(set, problems);
  }

  /**
   * The CPU worker image preloads the tcmalloc it installs (libtorch's large temporaries,
   * docs/bench-memory.md), at the path its build links.
   */
  @Test
  void theWorkerImagePreloadsTheTcmallocItInstalls() {
    String dockerfile = "gpu-worker/service/src/main/docker/Dockerfile.jvm";
    String preload = dockerfileEnv(dockerfile, "LD_PRELOAD");
    String text = Repo.read(Repo.ROOT.resolve(dockerfile));
    assertTrue(preload.endsWith("/libtcmalloc_minimal.so.4"), preload);
    assertTrue(text.contains("libtcmalloc-minimal4"), dockerfile + " installs no tcmalloc");
    assertTrue(text.contains("ln -s ") && text.contains(" " + preload + " "), "links " + preload);
  }

  /** A Kubernetes memory quantity in GiB ("12Gi", "512Mi"; 0 when absent or in another unit). */
  private static double gibibytes(String quantity) {
    if (quantity.endsWith("Gi")) {
      return Double.parseDouble(quantity.substring(0, quantity.length() - 2));
    }
    if (quantity.endsWith("Mi")) {
      return Double.parseDouble(quantity.substring(0, quantity.length() - 2)) / 1024;
    }
    return 0;
  }

  @ParameterizedTest
  @MethodSource("folders")
  void gpuWorkersGetOneGpuOnGpuNodesAndTheCudaLibtorch(String folder) {
    ManifestSet set = set(folder);
    List<String> problems = new ArrayList<>();
    String libtorch =
        dockerfileEnv("gpu-worker/service/src/main/docker/Dockerfile.gpu", "PYTORCH_LIBRARY_PATH");
    String pytorchVersion = rootPomProperty("pytorch.version");
    int gpuContainers = 0;
    for (VctContainer c : vctContainers(set)) {
      String device = c.env().value("VCT_ENGINE_DEVICE").orElse("cpu");
      if (!c.requestsGpu()) {
        if (device.startsWith("cuda") || device.startsWith("gpu")) {
          problems.add(c.describe() + ": VCT_ENGINE_DEVICE=" + device + " without a GPU request");
        }
        continue;
      }
      gpuContainers++;
      JsonNode resources = c.container().path("resources");
      if (resources.path("limits").path("nvidia.com/gpu").asInt() != 1
          || (resources.path("requests").has("nvidia.com/gpu")
              && resources.path("requests").path("nvidia.com/gpu").asInt() != 1)) {
        problems.add(
            c.describe()
                + ": one stage at a time per worker: nvidia.com/gpu must be 1 (limits and requests)");
      }
      JsonNode pod = c.workload().podSpec();
      if (pod.path("nodeSelector").isEmpty()
          && pod.path("affinity").path("nodeAffinity").isMissingNode()) {
        problems.add(c.describe() + ": no node selection for GPU nodes");
      }
      boolean tolerates = false;
      for (JsonNode t : pod.path("tolerations")) {
        tolerates |= t.path("key").asText().equals("nvidia.com/gpu");
      }
      if (!tolerates) {
        problems.add(c.describe() + ": no toleration for the nvidia.com/gpu taint of GPU nodes");
      }
      Map<String, String> expected =
          Map.of(
              "PYTORCH_LIBRARY_PATH",
              libtorch,
              "PYTORCH_VERSION",
              pytorchVersion,
              "PYTORCH_FLAVOR",
              "cu128");
      for (var e : expected.entrySet()) {
        String actual = c.env().value(e.getKey()).orElse(null);
        if (!e.getValue().equals(actual)) {
          problems.add(
              c.describe() + ": " + e.getKey() + "=" + actual + ", expected " + e.getValue());
        }
      }
      if (!device.startsWith("cuda")) {
        problems.add(c.describe() + ": requests a GPU but VCT_ENGINE_DEVICE=" + device);
      }
      if (!c.image().replaceAll(":.*", "").endsWith("-gpu")) {
        problems.add(
            c.describe() + ": image " + c.image() + " is not the GPU build (Dockerfile.gpu)");
      }
    }
    if (folder.endsWith("/gpu") && gpuContainers == 0) {
      problems.add(folder + " runs no worker on a GPU");
    }
    assertNoProblems(set, problems);
  }

  @ParameterizedTest
  @MethodSource("folders")
  void workersRunTheEngineOfflineWithModelsReadOnly(String folder) {
    ManifestSet set = set(folder);
    List<String> problems = new ArrayList<>();
    for (VctContainer w : workers(set)) {
      Map<String, String> expected =
          Map.of("OMP_WAIT_POLICY", "passive", "DJL_OFFLINE", "true", "VCT_ENGINE_THREADS", "auto");
      for (var e : expected.entrySet()) {
        String actual = w.env().value(e.getKey()).orElse(null);
        if (!e.getValue().equals(actual)) {
          problems.add(
              w.describe() + ": " + e.getKey() + "=" + actual + ", expected " + e.getValue());
        }
      }
      // The thread rule's cores follow the container's own CPU request.
      JsonNode cores = null;
      for (JsonNode env : w.container().path("env")) {
        if (env.path("name").asText().equals("VCT_ENGINE_CORES")) {
          cores = env.path("valueFrom").path("resourceFieldRef");
        }
      }
      if (cores == null
          || !cores.path("resource").asText().equals("requests.cpu")
          || !cores.path("containerName").asText().equals(w.container().path("name").asText())
          || !cores.path("divisor").asText().equals("1")) {
        problems.add(
            w.describe()
                + ": VCT_ENGINE_CORES must come from this container's requests.cpu (resourceFieldRef,"
                + " divisor 1)");
      }
      Map<String, JsonNode> volumes = new HashMap<>();
      w.workload().podSpec().path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
      String cache = w.env().value("DJL_CACHE_DIR").orElse("");
      JsonNode cacheMount = mountAt(w.container(), cache);
      if (cacheMount == null
          || cacheMount.path("readOnly").asBoolean(false)
          || !volumes
              .getOrDefault(cacheMount.path("name").asText(), ManifestSet.YAML.createObjectNode())
              .has("emptyDir")) {
        problems.add(
            w.describe()
                + ": DJL_CACHE_DIR="
                + cache
                + " must be a writable emptyDir mount (natives unpack there)");
      }
      int modelMounts = 0;
      for (JsonNode mount : w.container().path("volumeMounts")) {
        JsonNode volume = volumes.get(mount.path("name").asText());
        if (volume == null || !volume.has("persistentVolumeClaim")) {
          continue;
        }
        modelMounts++;
        String claim = volume.path("persistentVolumeClaim").path("claimName").asText();
        if (!mount.path("readOnly").asBoolean(false)
            || !volume.path("persistentVolumeClaim").path("readOnly").asBoolean(false)) {
          problems.add(
              w.describe() + ": the models volume " + claim + " must be mounted read-only");
        }
        if (set.find("PersistentVolumeClaim", claim).isEmpty()) {
          problems.add(
              w.describe() + ": PersistentVolumeClaim " + claim + " is not in the manifests");
        }
      }
      // Whatever setting names the model the worker loads must point into the models volume.
      for (MappedProperty p : w.service().mapped) {
        if (MODEL_LOCATION.matcher(p.name()).find()) {
          String value = w.service().effective(p.name(), w.env()).orElse("");
          JsonNode mount = mountAt(w.container(), value);
          if (mount == null || !mount.path("readOnly").asBoolean(false)) {
            problems.add(
                w.describe()
                    + ": "
                    + p.name()
                    + "='"
                    + value
                    + "' is not on the read-only models volume: set "
                    + MappedProperty.envName(p.name())
                    + " in the vct-worker ConfigMap");
          }
        }
      }
      if (modelMounts != 1) {
        problems.add(w.describe() + ": " + modelMounts + " model volumes, expected one");
      }
      for (ContainerEnv.Setting s : w.env().settings().values()) {
        if (s.value() != null && s.value().startsWith("/") && !s.name().equals("DJL_CACHE_DIR")) {
          if (mountAt(w.container(), s.value()) == null
              && !w.service().imageSets(s.name(), s.value())) {
            problems.add(
                w.describe()
                    + ": "
                    + s.name()
                    + "="
                    + s.value()
                    + " is on no mounted volume and not where the image puts it");
          }
        }
      }
    }
    assertNoProblems(set, problems);
  }

  @ParameterizedTest
  @MethodSource("folders")
  void everyObjectLivesInTheDeclaredNamespace(String folder) {
    ManifestSet set = set(folder);
    Set<String> namespaces = new TreeSet<>();
    set.ofKind("Namespace").forEach(n -> namespaces.add(n.name()));
    assertEquals(
        1, namespaces.size(), folder + ": one Namespace object expected, found " + namespaces);
    List<String> problems = new ArrayList<>();
    for (Manifest m : set.all()) {
      if (!m.kind().equals("Namespace")
          && !namespace(set, m).equals(namespaces.iterator().next())) {
        problems.add(m.describe() + " is in namespace '" + namespace(set, m) + "'");
      }
    }
    assertNoProblems(set, problems);
  }

  private static Map<String, Manifest> topics(ManifestSet set) {
    Map<String, Manifest> out = new HashMap<>();
    for (Manifest t : set.ofKind("KafkaTopic")) {
      out.put(t.spec().path("topicName").asText(t.name()), t);
    }
    return out;
  }

  private static Manifest only(ManifestSet set, String kind) {
    List<Manifest> all = set.ofKind(kind);
    assertEquals(1, all.size(), set.label() + ": expected exactly one " + kind);
    return all.get(0);
  }

  private static JsonNode plainListener(ManifestSet set) {
    for (JsonNode listener : only(set, "Kafka").spec().path("kafka").path("listeners")) {
      if (listener.path("type").asText().equals("internal")
          && !listener.path("tls").asBoolean(false)) {
        return listener;
      }
    }
    throw new AssertionError(set.label() + ": the Kafka cluster has no internal plain listener");
  }

  /** The object's namespace, or the base kustomization's when the base is read as written. */
  private static String namespace(ManifestSet set, Manifest m) {
    if (!m.namespace().isEmpty()) {
      return m.namespace();
    }
    return ManifestSet.parse(Repo.K8S.resolve("base/kustomization.yaml"))
        .get(0)
        .node()
        .path("namespace")
        .asText("default");
  }

  private static Map<String, Integer> containerPorts(JsonNode container) {
    Map<String, Integer> out = new HashMap<>();
    for (JsonNode port : container.path("ports")) {
      out.put(
          port.path("name").asText(String.valueOf(port.path("containerPort").asInt())),
          port.path("containerPort").asInt());
    }
    return out;
  }

  private static Optional<Integer> containerPort(JsonNode container, String name) {
    return Optional.ofNullable(containerPorts(container).get(name));
  }

  /** The volume mount that holds {@code path} (the longest matching mount path), or null. */
  private static JsonNode mountAt(JsonNode container, String path) {
    JsonNode best = null;
    for (JsonNode mount : container.path("volumeMounts")) {
      String at = mount.path("mountPath").asText();
      if ((path.equals(at) || path.startsWith(at.endsWith("/") ? at : at + "/"))
          && (best == null || at.length() > best.path("mountPath").asText().length())) {
        best = mount;
      }
    }
    return best;
  }

  /** The worker's auto.offset.reset, read from its consumer loop's source. */
  private static String workerOffsetReset() {
    Pattern reset = Pattern.compile("AUTO_OFFSET_RESET_CONFIG,\\s*\"(\\w+)\"");
    for (Path source : Repo.files(Repo.ROOT.resolve("gpu-worker/service/src/main/java"), ".java")) {
      Matcher m = reset.matcher(Repo.read(source));
      if (m.find()) {
        return m.group(1).toLowerCase(Locale.ROOT);
      }
    }
    throw new AssertionError(
        "the worker service no longer sets AUTO_OFFSET_RESET_CONFIG: update the KEDA triggers' offsetResetPolicy and this test");
  }

  private static String dockerfileEnv(String dockerfile, String name) {
    Matcher m =
        Pattern.compile("\\b" + name + "=(\\S+)").matcher(Repo.read(Repo.ROOT.resolve(dockerfile)));
    if (!m.find()) {
      throw new AssertionError(dockerfile + " sets no " + name);
    }
    return m.group(1);
  }

  private static String rootPomProperty(String name) {
    Matcher m =
        Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)<")
            .matcher(Repo.read(Repo.ROOT.resolve("pom.xml")));
    if (!m.find()) {
      throw new AssertionError("the root pom.xml has no property " + name);
    }
    return m.group(1).trim();
  }
}
