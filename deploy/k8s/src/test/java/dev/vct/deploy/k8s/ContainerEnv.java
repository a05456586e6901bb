package dev.vct.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The environment of one container as Kubernetes builds it: {@code envFrom} ConfigMaps first, then
 * {@code env} entries (which win), with ConfigMap values resolved from the same manifest set.
 * Secret values stay unknown; references to missing ConfigMaps or keys are collected as problems.
 */
final class ContainerEnv {

  /**
   * @param value the value, or null when it comes from a Secret
   * @param secret the Secret it comes from, or null
   * @param key the key in that Secret (or ConfigMap), or null for a literal
   * @param optional whether the reference is optional
   */
  record Setting(String name, String value, String secret, String key, boolean optional) {}

  private final Map<String, Setting> settings = new LinkedHashMap<>();
  private final List<String> problems = new ArrayList<>();

  ContainerEnv(JsonNode container, ManifestSet set) {
    for (JsonNode from : container.path("envFrom")) {
      if (from.has("configMapRef")) {
        String name = from.path("configMapRef").path("name").asText();
        Optional<Manifest> map = set.find("ConfigMap", name);
        if (map.isEmpty()) {
          problems.add("envFrom ConfigMap " + name + " is not in the manifests");
          continue;
        }
        map.get()
            .node()
            .path("data")
            .fields()
            .forEachRemaining(
                f ->
                    settings.put(
                        f.getKey(),
                        new Setting(f.getKey(), f.getValue().asText(), null, null, false)));
      } else {
        problems.add(
            "envFrom "
                + from
                + ": only ConfigMaps may be imported whole (a Secret would hide which settings"
                + " it sets); use env entries with secretKeyRef");
      }
    }
    for (JsonNode env : container.path("env")) {
      String name = env.path("name").asText();
      JsonNode from = env.path("valueFrom");
      if (env.has("value")) {
        settings.put(name, new Setting(name, env.path("value").asText(), null, null, false));
      } else if (from.has("configMapKeyRef")) {
        JsonNode ref = from.path("configMapKeyRef");
        String mapName = ref.path("name").asText();
        String key = ref.path("key").asText();
        boolean optional = ref.path("optional").asBoolean(false);
        JsonNode value =
            set.find("ConfigMap", mapName).map(m -> m.node().path("data").path(key)).orElse(null);
        if (value == null) {
          problems.add(name + ": ConfigMap " + mapName + " is not in the manifests");
        } else if (value.isMissingNode()) {
          if (!optional) {
            problems.add(name + ": ConfigMap " + mapName + " has no key " + key);
          }
        } else {
          settings.put(name, new Setting(name, value.asText(), null, key, optional));
        }
      } else if (from.has("secretKeyRef")) {
        JsonNode ref = from.path("secretKeyRef");
        String secret = ref.path("name").asText();
        String key = ref.path("key").asText();
        boolean optional = ref.path("optional").asBoolean(false);
        Optional<Manifest> inSet = set.find("Secret", secret);
        if (inSet.isPresent()
            && !optional
            && !inSet.get().node().path("data").has(key)
            && !inSet.get().node().path("stringData").has(key)) {
          problems.add(name + ": Secret " + secret + " has no key " + key);
        }
        settings.put(name, new Setting(name, null, secret, key, optional));
      } else if (from.has("fieldRef") || from.has("resourceFieldRef")) {
        settings.put(name, new Setting(name, null, null, null, false));
      } else {
        problems.add(name + ": neither a value nor a reference");
      }
    }
  }

  Map<String, Setting> settings() {
    return settings;
  }

  List<String> problems() {
    return problems;
  }

  boolean isSet(String name) {
    return settings.containsKey(name);
  }

  /** The value when it is known (a literal or a ConfigMap entry). */
  Optional<String> value(String name) {
    Setting s = settings.get(name);
    return s == null ? Optional.empty() : Optional.ofNullable(s.value());
  }
}
