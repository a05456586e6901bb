package dev.vct.deploy.k8s;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * What one VCT service reads, taken from the repository as it is now: its application.properties,
 * the {@code @ConfigMapping} interfaces and {@code @ConfigProperty} names in its sources and in the
 * project modules it depends on, environment variables its code or its image reads by name.
 */
final class ServiceConfig {

  /** The container name in the manifests of each service, and the service's module folder. */
  static final Map<String, String> MODULE_BY_CONTAINER =
      Map.of(
          "api-gateway", "api-gateway",
          "orchestrator", "orchestrator",
          "worker", "gpu-worker/service");

  /**
   * Variables read by libraries rather than by the project's code: the variable, the class that
   * reads it (the test checks the name is in its bytecode) or null for native code, and why.
   */
  record LibraryVariable(String name, String readerClass, String reason) {}

  static final List<LibraryVariable> ENGINE_VARIABLES =
      List.of(
          new LibraryVariable("DJL_OFFLINE", "ai.djl.util.Utils", "DJL: no downloads at run time"),
          new LibraryVariable("DJL_CACHE_DIR", "ai.djl.util.Utils", "DJL: where natives unpack"),
          new LibraryVariable(
              "PYTORCH_LIBRARY_PATH", "ai.djl.pytorch.jni.LibUtils", "DJL: libtorch to load"),
          new LibraryVariable(
              "PYTORCH_VERSION", "ai.djl.pytorch.jni.LibUtils", "DJL: version of that libtorch"),
          new LibraryVariable(
              "PYTORCH_FLAVOR", "ai.djl.pytorch.jni.LibUtils$LibTorch", "DJL: its build (cu128)"),
          new LibraryVariable(
              "OMP_WAIT_POLICY", null, "OpenMP inside libtorch: passive, no spinning threads"));

  private static final Map<String, ServiceConfig> CACHE = new HashMap<>();
  private static final Pattern MAPPING =
      Pattern.compile("@ConfigMapping\\(\\s*prefix\\s*=\\s*\"([^\"]+)\"");
  private static final Pattern CONFIG_PROPERTY =
      Pattern.compile("@ConfigProperty\\(\\s*name\\s*=\\s*\"([^\"]+)\"");
  private static final Pattern PACKAGE =
      Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE);
  private static final Pattern EXPRESSION = Pattern.compile("\\$\\{([A-Za-z0-9_.\\-]+)");
  private static final Pattern SHELL_VARIABLE = Pattern.compile("\\$\\{?([A-Z_][A-Z0-9_]*)");

  final String container;
  final Path module;
  final List<Path> closure;
  final Map<String, String> properties;
  final List<MappedProperty> mapped = new ArrayList<>();
  final Set<String> mappingPrefixes = new LinkedHashSet<>();
  final Set<String> configPropertyNames = new LinkedHashSet<>();
  private final String sources;
  private final Set<String> imageVariables = new LinkedHashSet<>();
  private final StringBuilder dockerfiles = new StringBuilder();

  private ServiceConfig(String container, Path module) {
    this.container = container;
    this.module = module;
    this.closure = Repo.moduleClosure(module);
    this.properties = applicationProperties(module);
    StringBuilder all = new StringBuilder();
    for (Path dir : closure) {
      for (Path source : Repo.files(dir.resolve("src/main/java"), ".java")) {
        String text = Repo.read(source);
        all.append(text).append('\n');
        readMappings(source, text);
        Matcher m = CONFIG_PROPERTY.matcher(text);
        while (m.find()) {
          configPropertyNames.add(m.group(1));
        }
      }
    }
    this.sources = all.toString();
    for (Path dockerfile : Repo.files(module.resolve("src/main/docker"), "")) {
      if (dockerfile.getFileName().toString().startsWith("Dockerfile")) {
        String text = Repo.read(dockerfile);
        dockerfiles.append(text).append('\n');
        Matcher m = SHELL_VARIABLE.matcher(text);
        while (m.find()) {
          imageVariables.add(m.group(1));
        }
      }
    }
  }

  static synchronized Optional<ServiceConfig> forContainer(String containerName) {
    String module = MODULE_BY_CONTAINER.get(containerName);
    if (module == null) {
      return Optional.empty();
    }
    return Optional.of(
        CACHE.computeIfAbsent(containerName, c -> new ServiceConfig(c, Repo.ROOT.resolve(module))));
  }

  /** The production view of src/main/resources/application.properties ({@code %prod.} applied). */
  private static Map<String, String> applicationProperties(Path module) {
    Path file = module.resolve("src/main/resources/application.properties");
    Map<String, String> out = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return out;
    }
    Properties props = new Properties();
    try {
      props.load(new StringReader(Repo.read(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String key : props.stringPropertyNames()) {
      if (!key.startsWith("%")) {
        out.putIfAbsent(key, props.getProperty(key));
      }
    }
    for (String key : props.stringPropertyNames()) {
      if (key.startsWith("%prod.")) {
        out.put(key.substring("%prod.".length()), props.getProperty(key));
      }
    }
    return out;
  }

  private void readMappings(Path source, String text) {
    Matcher m = MAPPING.matcher(text);
    if (!m.find()) {
      return;
    }
    Matcher pkg = PACKAGE.matcher(text);
    String simple = source.getFileName().toString().replace(".java", "");
    String className = (pkg.find() ? pkg.group(1) + "." : "") + simple;
    try {
      Class<?> mapping = Class.forName(className);
      mappingPrefixes.add(m.group(1));
      mapped.addAll(MappedProperty.of(mapping, m.group(1)));
    } catch (ClassNotFoundException e) {
      throw new AssertionError(
          className
              + " (a @ConfigMapping of "
              + Repo.rel(module)
              + ") is not on the test classpath: add its module as a test dependency of"
              + " deploy/k8s/pom.xml",
          e);
    }
  }

  String name() {
    return Repo.rel(module);
  }

  boolean hasDatasource() {
    return properties.containsKey("quarkus.datasource.db-kind");
  }

  boolean usesKafka() {
    return properties.keySet().stream().anyMatch(k -> k.startsWith("mp.messaging."))
        || sources.contains("\"default-kafka-broker\"");
  }

  boolean usesBlobStore() {
    return mappingPrefixes.contains("vct.blob");
  }

  boolean hasEngine() {
    return closure.stream().anyMatch(p -> Repo.rel(p).equals("gpu-worker/engine"));
  }

  /**
   * Why the service reads environment variable {@code env}, or empty when nothing reads it. A
   * build-time Quarkus property answers with a reason that starts with "build-time".
   */
  Optional<String> whyRead(String env, QuarkusConfigModel quarkus) {
    for (MappedProperty p : mapped) {
      if (p.setBy(env)) {
        return Optional.of("@ConfigMapping property " + p.name());
      }
    }
    for (String key : properties.keySet()) {
      if (MappedProperty.envName(key).equals(env)) {
        return Optional.of("application.properties key " + key);
      }
    }
    for (String name : configPropertyNames) {
      if (MappedProperty.envName(name).equals(env)) {
        return Optional.of("@ConfigProperty " + name);
      }
    }
    if (env.startsWith("KAFKA_") && usesKafka()) {
      Set<String> kafka = new LinkedHashSet<>(ConsumerConfig.configNames());
      kafka.addAll(ProducerConfig.configNames());
      kafka.addAll(AdminClientConfig.configNames());
      for (String name : kafka) {
        if (MappedProperty.envName("kafka." + name).equals(env)) {
          return Optional.of("Kafka client setting kafka." + name);
        }
      }
    }
    Optional<QuarkusConfigModel.Entry> entry = quarkus.byEnv(env);
    if (entry.isPresent()
        && (hasDatasource() || !entry.get().property().startsWith("quarkus.datasource."))) {
      QuarkusConfigModel.Entry e = entry.get();
      return Optional.of(
          (e.runtime() ? "Quarkus runtime property " : "build-time Quarkus property ")
              + e.property()
              + " ("
              + e.extension()
              + ", "
              + e.phase()
              + ")");
    }
    if (sources.contains("\"" + env + "\"")) {
      return Optional.of("read by name in the sources of " + name() + " or its modules");
    }
    for (String value : properties.values()) {
      Matcher m = EXPRESSION.matcher(value);
      while (m.find()) {
        if (m.group(1).equals(env)) {
          return Optional.of("an expression in application.properties");
        }
      }
    }
    if (imageVariables.contains(env)) {
      return Optional.of("used by the image's entrypoint (src/main/docker)");
    }
    if (hasEngine()) {
      for (LibraryVariable v : ENGINE_VARIABLES) {
        if (v.name().equals(env)) {
          if (v.readerClass() != null && !classMentions(v.readerClass(), env)) {
            return Optional.empty();
          }
          return Optional.of(v.reason());
        }
      }
    }
    return Optional.empty();
  }

  /** Whether one of the service's Dockerfiles sets {@code name=value} (an ENV of the image). */
  boolean imageSets(String name, String value) {
    return Pattern.compile("\\b" + Pattern.quote(name + "=" + value) + "(\\s|$)")
        .matcher(dockerfiles)
        .find();
  }

  /** Whether the bytecode of {@code className} holds the string {@code text}. */
  static boolean classMentions(String className, String text) {
    String resource = className.replace('.', '/') + ".class";
    try (InputStream in = ServiceConfig.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return false;
      }
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The value the service runs with for {@code property}: the container's environment, else
   * application.properties, else the mapping's default; empty when none.
   */
  Optional<String> effective(String property, ContainerEnv env) {
    Optional<String> fromEnv = env.value(MappedProperty.envName(property));
    if (fromEnv.isPresent()) {
      return fromEnv;
    }
    if (properties.containsKey(property)) {
      return Optional.of(properties.get(property));
    }
    return mapped.stream()
        .filter(p -> p.name().equals(property))
        .map(MappedProperty::defaultValue)
        .filter(v -> v != null)
        .findFirst();
  }

  /** The HTTP port: quarkus.http.port from the environment or application.properties, else 8080. */
  int httpPort(ContainerEnv env) {
    return Integer.parseInt(effective("quarkus.http.port", env).orElse("8080"));
  }

  /** Mapping properties that have no default, are not optional and are not in the properties. */
  List<String> requiredWithoutValue() {
    return mapped.stream()
        .filter(MappedProperty::required)
        .map(MappedProperty::name)
        .filter(name -> !name.contains("*") && !properties.containsKey(name))
        .collect(Collectors.toList());
  }
}
