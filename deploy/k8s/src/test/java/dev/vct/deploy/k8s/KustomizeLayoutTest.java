package dev.vct.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The files of deploy/k8s: valid objects, complete kustomizations, a deploy page that matches. */
class KustomizeLayoutTest {

  private static final Path DEPLOY_PAGE = Repo.ROOT.resolve("docs/deploy-kubernetes.md");

  @Test
  void everyManifestIsYamlWithApiVersionKindAndName() {
    List<Path> files = manifestFiles();
    assertFalse(files.isEmpty(), "no manifests under " + Repo.rel(Repo.K8S));
    List<String> problems = new ArrayList<>();
    for (Path file : files) {
      List<Manifest> docs = ManifestSet.parse(file);
      if (docs.isEmpty()) {
        problems.add(Repo.rel(file) + " holds no object");
      }
      if (file.getFileName().toString().equals("kustomization.yaml")) {
        continue;
      }
      for (Manifest m : docs) {
        for (String field : List.of("apiVersion", "kind")) {
          if (m.node().path(field).asText().isBlank()) {
            problems.add(Repo.rel(file) + ": an object without " + field + ": " + m.node());
          }
        }
        if (m.name().isBlank()) {
          problems.add(Repo.rel(file) + ": " + m.kind() + " without metadata.name");
        }
      }
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void everyFolderOfManifestsHasAKustomizationListingExactlyItsFiles() {
    Set<Path> folders = new TreeSet<>();
    manifestFiles().forEach(f -> folders.add(f.getParent()));
    List<String> problems = new ArrayList<>();
    for (Path folder : folders) {
      Path kustomization = folder.resolve("kustomization.yaml");
      if (!Files.exists(kustomization)) {
        problems.add(Repo.rel(folder) + " has manifests but no kustomization.yaml");
        continue;
      }
      JsonNode k = ManifestSet.parse(kustomization).get(0).node();
      Set<String> listed = new TreeSet<>();
      for (String ref : references(k)) {
        Path target = folder.resolve(ref).normalize();
        if (Files.isDirectory(target)) {
          if (!Files.exists(target.resolve("kustomization.yaml"))) {
            problems.add(Repo.rel(kustomization) + " lists " + ref + ", a folder without one");
          }
        } else if (!Files.exists(target)) {
          problems.add(Repo.rel(kustomization) + " lists " + ref + ", which does not exist");
        } else if (!target.getParent().equals(folder)) {
          problems.add(Repo.rel(kustomization) + " lists " + ref + " from another folder");
        } else {
          listed.add(target.getFileName().toString());
        }
      }
      Set<String> present = new TreeSet<>();
      try (var entries = Files.list(folder)) {
        entries
            .map(p -> p.getFileName().toString())
            .filter(n -> n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".env"))
            .filter(n -> !n.equals("kustomization.yaml"))
            .forEach(present::add);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      if (!listed.equals(present)) {
        problems.add(
            Repo.rel(kustomization) + " lists " + listed + " but the folder holds " + present);
      }
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void theBaseHasNoPatchesSoItsFilesAreWhatItDeploys() {
    JsonNode k = ManifestSet.parse(Repo.K8S.resolve("base/kustomization.yaml")).get(0).node();
    Set<String> fields = new TreeSet<>();
    k.fieldNames().forEachRemaining(fields::add);
    fields.removeAll(Set.of("apiVersion", "kind", "namespace", "labels", "resources"));
    assertEquals(
        Set.of(),
        fields,
        "base/kustomization.yaml: patches and generators belong in overlays (the test reads the"
            + " base files as written when kubectl is missing)");
  }

  @Test
  void theDeployPageGivesTheCommandsForTheseManifests() {
    assertTrue(Files.exists(DEPLOY_PAGE), Repo.rel(DEPLOY_PAGE) + " is missing");
    String page = Repo.read(DEPLOY_PAGE);
    String readme = Repo.read(Repo.ROOT.resolve("README.md"));
    List<String> problems = new ArrayList<>();
    if (!readme.contains("docs/deploy-kubernetes.md")) {
      problems.add("README.md does not link docs/deploy-kubernetes.md");
    }
    for (String folder : ManifestConsistencyTest.folders()) {
      if (!folder.equals("base") && !page.contains("kubectl apply -k deploy/k8s/" + folder)) {
        problems.add("the page never says: kubectl apply -k deploy/k8s/" + folder);
      }
    }
    if (!page.contains("kubectl apply -k deploy/k8s/tools")) {
      problems.add("the page never applies deploy/k8s/tools (the model loader)");
    }
    for (String operator : List.of("Strimzi", "CloudNativePG", "KEDA", "NVIDIA device plugin")) {
      if (!page.contains(operator)) {
        problems.add("the page does not say how to install " + operator);
      }
    }
    for (String module : ServiceConfig.MODULE_BY_CONTAINER.values()) {
      for (Path dockerfile : Repo.files(Repo.ROOT.resolve(module).resolve("src/main/docker"), "")) {
        String rel = Repo.rel(dockerfile);
        if (!page.contains(rel)) {
          problems.add("the page does not build the image of " + rel);
        }
      }
    }
    for (Path file : manifestFiles()) {
      for (Manifest m : ManifestSet.parse(file)) {
        for (JsonNode container : m.containers()) {
          String image = container.path("image").asText();
          String name = image.replaceAll(":.*", "");
          if (ServiceConfig.MODULE_BY_CONTAINER.containsKey(container.path("name").asText())
              && !page.contains(name)) {
            problems.add("the page never names the image " + name + " (" + Repo.rel(file) + ")");
          }
        }
      }
    }
    assertEquals(List.of(), problems);
  }

  /** Every local file or folder a kustomization.yaml refers to. */
  private static List<String> references(JsonNode k) {
    List<String> refs = new ArrayList<>();
    k.path("resources").forEach(r -> refs.add(r.asText()));
    k.path("components").forEach(r -> refs.add(r.asText()));
    k.path("patchesStrategicMerge").forEach(r -> refs.add(r.asText()));
    for (String list : List.of("patches", "patchesJson6902")) {
      k.path(list)
          .forEach(
              p -> {
                if (p.has("path")) {
                  refs.add(p.path("path").asText());
                }
              });
    }
    for (String list : List.of("configMapGenerator", "secretGenerator")) {
      for (JsonNode generator : k.path(list)) {
        generator.path("files").forEach(f -> refs.add(f.asText().replaceAll("^[^=]*=", "")));
        generator.path("envs").forEach(f -> refs.add(f.asText()));
      }
    }
    return refs;
  }

  private static List<Path> manifestFiles() {
    List<Path> files = new ArrayList<>(Repo.files(Repo.K8S, ".yaml"));
    files.addAll(Repo.files(Repo.K8S, ".yml"));
    files.removeIf(f -> Repo.rel(f).startsWith("deploy/k8s/src/"));
    return files;
  }
}
