package dev.vct.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The configuration properties of the Quarkus extensions on the classpath, read from the model each
 * extension jar carries ({@code META-INF/quarkus-config-doc/quarkus-config-model.json}): name,
 * environment variable and phase (only {@code RUN_TIME} properties can be changed in a pod).
 */
final class QuarkusConfigModel {
  private static final String MODEL = "META-INF/quarkus-config-doc/quarkus-config-model.json";
  private static QuarkusConfigModel instance;

  /**
   * @param property for example {@code quarkus.datasource.jdbc.url}
   * @param phase {@code RUN_TIME}, {@code BUILD_AND_RUN_TIME_FIXED} or {@code BUILD_TIME}
   * @param extension the extension's artifact id
   */
  record Entry(String property, Pattern env, String phase, String extension) {
    boolean runtime() {
      return phase.equals("RUN_TIME");
    }
  }

  private final List<Entry> entries;

  private QuarkusConfigModel(List<Entry> entries) {
    this.entries = entries;
  }

  static synchronized QuarkusConfigModel load() {
    if (instance == null) {
      ObjectMapper json = new ObjectMapper();
      List<Entry> entries = new ArrayList<>();
      try {
        for (URL url :
            Collections.list(QuarkusConfigModel.class.getClassLoader().getResources(MODEL))) {
          try (InputStream in = url.openStream()) {
            for (JsonNode root : json.readTree(in).path("configRoots")) {
              String extension = root.path("extension").path("artifactId").asText();
              collect(root.path("items"), extension, entries);
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the Quarkus configuration models", e);
      }
      if (entries.isEmpty()) {
        throw new IllegalStateException(
            "no " + MODEL + " on the test classpath: the services' Quarkus extensions are missing");
      }
      instance = new QuarkusConfigModel(entries);
    }
    return instance;
  }

  private static void collect(JsonNode items, String extension, List<Entry> out) {
    for (JsonNode item : items) {
      JsonNode path = item.path("path");
      if (path.has("property")) {
        // Named map keys ("datasource-name") match any key.
        String property = path.path("property").asText().replaceAll("\"[^\"]*\"", "*");
        out.add(
            new Entry(
                property,
                MappedProperty.envPattern(property),
                item.path("phase").asText(),
                extension));
      }
      collect(item.path("items"), extension, out);
    }
  }

  /** The property that {@code env} sets, preferring one without map keys. */
  Optional<Entry> byEnv(String env) {
    return entries.stream()
        .filter(e -> e.env().matcher(env).matches())
        .min(
            (a, b) ->
                Integer.compare(
                    a.property().split("\\*").length, b.property().split("\\*").length));
  }
}
