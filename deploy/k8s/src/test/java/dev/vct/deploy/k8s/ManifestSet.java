package dev.vct.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.opentest4j.TestAbortedException;

/**
 * The objects one Kustomize folder deploys: the base as written, or an overlay as {@code kubectl
 * kustomize} renders it (generated names, patches and namespaces applied).
 */
final class ManifestSet {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final String label;
  private final List<Manifest> manifests;

  private ManifestSet(String label, List<Manifest> manifests) {
    this.label = label;
    this.manifests = manifests;
  }

  /** Every document of {@code file}; fails naming the file when it is not valid YAML. */
  static List<Manifest> parse(Path file) {
    return parse(Repo.rel(file), Repo.read(file));
  }

  static List<Manifest> parse(String source, String yaml) {
    List<Manifest> out = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(yaml)) {
      var documents = YAML.readValues(parser, JsonNode.class);
      while (documents.hasNext()) {
        JsonNode node = documents.next();
        if (node != null && !node.isNull() && !node.isMissingNode()) {
          out.add(new Manifest(source, node));
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new AssertionError(source + " is not valid YAML: " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * The objects of {@code folder} (relative to deploy/k8s) as {@code kubectl kustomize} renders
   * them (generated names, patches and namespaces applied). Without kubectl the base is read file
   * by file (it has no patches: the layout test checks that) and overlays are skipped.
   */
  static ManifestSet of(String folder) {
    Path dir = Repo.K8S.resolve(folder);
    if (!onPath("kubectl")) {
      if (!folder.equals("base")) {
        throw new TestAbortedException(
            "kubectl is not on the PATH, so "
                + Repo.rel(dir)
                + " cannot be rendered: install kubectl (it bundles kustomize) to check overlays");
      }
      List<Manifest> all = new ArrayList<>();
      for (Path file : Repo.files(dir, ".yaml")) {
        if (!file.getFileName().toString().equals("kustomization.yaml")) {
          all.addAll(parse(file));
        }
      }
      return new ManifestSet(folder, all);
    }
    return new ManifestSet(folder, parse(folder + " (rendered)", render(dir)));
  }

  private static String render(Path dir) {
    try {
      File out = File.createTempFile("kustomize", ".yaml");
      File err = File.createTempFile("kustomize", ".err");
      try {
        Process process =
            new ProcessBuilder("kubectl", "kustomize", dir.toString())
                .redirectOutput(out)
                .redirectError(err)
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new AssertionError("kubectl kustomize " + Repo.rel(dir) + " took over 120 s");
        }
        if (process.exitValue() != 0) {
          throw new AssertionError(
              "kubectl kustomize "
                  + Repo.rel(dir)
                  + " failed: "
                  + Files.readString(err.toPath(), StandardCharsets.UTF_8));
        }
        return Files.readString(out.toPath(), StandardCharsets.UTF_8);
      } finally {
        out.delete();
        err.delete();
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run kubectl kustomize " + Repo.rel(dir), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while rendering " + Repo.rel(dir), e);
    }
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (new File(dir, command).canExecute()) {
        return true;
      }
    }
    return false;
  }

  String label() {
    return label;
  }

  List<Manifest> all() {
    return manifests;
  }

  List<Manifest> ofKind(String kind) {
    return manifests.stream().filter(m -> m.kind().equals(kind)).toList();
  }

  Optional<Manifest> find(String kind, String name) {
    return manifests.stream()
        .filter(m -> m.kind().equals(kind) && m.name().equals(name))
        .findFirst();
  }

  List<Manifest> workloads() {
    return manifests.stream().filter(Manifest::isWorkload).toList();
  }

  @Override
  public String toString() {
    return label;
  }
}
