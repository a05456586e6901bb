package dev.vct.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** One Kubernetes object: a YAML document of a manifest file or of a rendered overlay. */
record Manifest(String source, JsonNode node) {

  String kind() {
    return node.path("kind").asText();
  }

  String name() {
    return node.path("metadata").path("name").asText();
  }

  String namespace() {
    return node.path("metadata").path("namespace").asText();
  }

  JsonNode spec() {
    return node.path("spec");
  }

  /** For messages: {@code Deployment/worker-fusion (overlays/gpu)}. */
  String describe() {
    return kind() + "/" + name() + " (" + source + ")";
  }

  boolean isWorkload() {
    return kind().equals("Deployment") || kind().equals("StatefulSet");
  }

  JsonNode podSpec() {
    return spec().path("template").path("spec");
  }

  JsonNode podLabels() {
    return spec().path("template").path("metadata").path("labels");
  }

  List<JsonNode> containers() {
    List<JsonNode> out = new ArrayList<>();
    podSpec().path("containers").forEach(out::add);
    return out;
  }

  /** Whether {@code selector} (a label map) selects this workload's pods. */
  boolean podsMatch(JsonNode selector) {
    if (!selector.isObject() || selector.isEmpty()) {
      return false;
    }
    JsonNode labels = podLabels();
    var fields = selector.fields();
    while (fields.hasNext()) {
      var field = fields.next();
      JsonNode label = labels.get(field.getKey());
      if (label == null || !label.asText().equals(field.getValue().asText())) {
        return false;
      }
    }
    return true;
  }
}
