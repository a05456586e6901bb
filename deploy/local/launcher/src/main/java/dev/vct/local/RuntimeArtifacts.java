package dev.vct.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

/**
 * Where the files that the child processes run from are on this machine, as recorded by the build
 * in {@code dev/vct/local/runtime.properties}: the vct-kafka-broker module's output (its classes
 * folder or jar, which also carries the broker's own classpath) and the s3proxy fat jar.
 */
final class RuntimeArtifacts {

  private static final String RESOURCE = "runtime.properties";
  private static final String BROKER_CLASSPATH_ENTRY = "META-INF/vct/kafka-broker.classpath";
  private static final String REBUILD =
      "build the launcher with its reactor: mvn -pl deploy/local/launcher -am package"
          + " (or -am with whatever module's tests you run)";

  private static final Properties PROPERTIES = load();

  private RuntimeArtifacts() {}

  /** The vct-kafka-broker classes folder or jar (holds the child-process entry points). */
  static Path childMainArtifact() {
    return existing("kafka-broker.artifact");
  }

  /** The broker artifact followed by Kafka's own runtime classpath. */
  static List<Path> kafkaBrokerClasspath() {
    Path artifact = childMainArtifact();
    List<Path> classpath = new ArrayList<>();
    classpath.add(artifact);
    for (String entry : brokerClasspathText(artifact).trim().split(java.io.File.pathSeparator)) {
      if (!entry.isBlank()) {
        classpath.add(Path.of(entry));
      }
    }
    for (Path entry : classpath) {
      if (!Files.exists(entry)) {
        throw new IllegalStateException(
            "the Kafka broker's classpath names " + entry + ", which does not exist; " + REBUILD);
      }
    }
    return classpath;
  }

  static Path s3proxyJar() {
    return existing("s3proxy.jar");
  }

  /** The java launcher of the running JVM, so children run on the same Java. */
  static Path javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  private static String brokerClasspathText(Path artifact) {
    try {
      if (Files.isDirectory(artifact)) {
        Path file = artifact.resolve(BROKER_CLASSPATH_ENTRY);
        if (Files.isRegularFile(file)) {
          return Files.readString(file);
        }
      } else {
        try (JarFile jar = new JarFile(artifact.toFile())) {
          ZipEntry entry = jar.getEntry(BROKER_CLASSPATH_ENTRY);
          if (entry != null) {
            try (InputStream in = jar.getInputStream(entry)) {
              return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the Kafka broker's classpath from " + artifact, e);
    }
    throw new IllegalStateException(
        artifact
            + " has no "
            + BROKER_CLASSPATH_ENTRY
            + " (a stale vct-kafka-broker?); "
            + REBUILD);
  }

  private static Path existing(String key) {
    String value = PROPERTIES.getProperty(key);
    if (value == null || value.isBlank() || value.contains("${")) {
      throw new IllegalStateException(
          "dev/vct/local/" + RESOURCE + " does not say where '" + key + "' is; " + REBUILD);
    }
    Path path = Path.of(value);
    if (!Files.exists(path)) {
      throw new IllegalStateException(
          "'" + key + "' is recorded as " + path + ", which does not exist; " + REBUILD);
    }
    return path;
  }

  private static Properties load() {
    Properties properties = new Properties();
    try (InputStream in = RuntimeArtifacts.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "dev/vct/local/" + RESOURCE + " is missing from the classpath; " + REBUILD);
      }
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dev/vct/local/" + RESOURCE, e);
    }
    return properties;
  }
}
