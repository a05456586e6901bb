package dev.vct.deploy.k8s;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The repository the test runs in: paths, files and which project modules a module uses. */
final class Repo {
  /** The repository root: this module lives in {@code deploy/k8s}. */
  static final Path ROOT =
      Path.of(System.getProperty("basedir", "."))
          .toAbsolutePath()
          .normalize()
          .resolve("../..")
          .normalize();

  /** The manifests folder, {@code deploy/k8s}. */
  static final Path K8S = ROOT.resolve("deploy/k8s");

  private static Map<String, Path> modulesByArtifact;

  private Repo() {}

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Files under {@code dir} (recursively) whose name ends with {@code suffix}, sorted. */
  static List<Path> files(Path dir, String suffix) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile)
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .filter(p -> !ROOT.relativize(p).toString().contains("/target/"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /** {@code path} relative to the repository root, for messages. */
  static String rel(Path path) {
    return ROOT.relativize(path.toAbsolutePath().normalize()).toString();
  }

  /**
   * The module folder and the folders of every project module it depends on outside test scope,
   * transitively, read from the pom.xml files (for example the worker service, the engine and
   * storage).
   */
  static List<Path> moduleClosure(Path moduleDir) {
    Set<Path> seen = new LinkedHashSet<>();
    collect(moduleDir, seen);
    return new ArrayList<>(seen);
  }

  private static void collect(Path moduleDir, Set<Path> seen) {
    if (!seen.add(moduleDir)) {
      return;
    }
    for (String artifact : projectDependencies(moduleDir.resolve("pom.xml"))) {
      Path dep = modules().get(artifact);
      if (dep != null) {
        collect(dep, seen);
      }
    }
  }

  private static synchronized Map<String, Path> modules() {
    if (modulesByArtifact == null) {
      Map<String, Path> map = new HashMap<>();
      for (Path pom : files(ROOT, "pom.xml")) {
        if (ROOT.relativize(pom).getNameCount() <= 4) {
          map.put(text(child(pom(pom).getDocumentElement(), "artifactId")), pom.getParent());
        }
      }
      modulesByArtifact = map;
    }
    return modulesByArtifact;
  }

  private static List<String> projectDependencies(Path pom) {
    List<String> artifacts = new ArrayList<>();
    Element dependencies = child(pom(pom).getDocumentElement(), "dependencies");
    if (dependencies == null) {
      return artifacts;
    }
    NodeList list = dependencies.getElementsByTagName("dependency");
    for (int i = 0; i < list.getLength(); i++) {
      Element dependency = (Element) list.item(i);
      String group = text(child(dependency, "groupId"));
      String scope = text(child(dependency, "scope"));
      boolean project = group.equals("dev.vct") || group.equals("${project.groupId}");
      if (project && !scope.equals("test")) {
        artifacts.add(text(child(dependency, "artifactId")));
      }
    }
    return artifacts;
  }

  private static Document pom(Path pom) {
    try {
      return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    } catch (Exception e) {
      throw new IllegalStateException("cannot parse " + pom + ": " + e.getMessage(), e);
    }
  }

  private static Element child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    return null;
  }

  private static String text(Element element) {
    return element == null ? "" : element.getTextContent().trim();
  }
}
