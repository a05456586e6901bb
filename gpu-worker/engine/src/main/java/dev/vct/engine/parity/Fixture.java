package dev.vct.engine.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vct.engine.tensor.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One oracle fixture directory: {@code manifest.json}, optional {@code config.json}, {@code
 * io.safetensors} with inputs {@code in.<name>} and expected outputs {@code out.<name>}, and the
 * tolerances of the manifest. Owns an NDManager for the arrays a check creates; closing the fixture
 * frees them.
 */
public final class Fixture implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final JsonNode manifest;
  private final NDManager manager;
  private SafeTensors io;

  private Fixture(Path dir, JsonNode manifest, NDManager manager) {
    this.dir = dir;
    this.manifest = manifest;
    this.manager = manager;
  }

  /** Reads {@code dir/manifest.json}; arrays the check creates go to a sub-manager of parent. */
  public static Fixture open(Path dir, NDManager parent) {
    JsonNode manifest = readJson(dir.resolve("manifest.json"));
    if (!manifest.path("component").isTextual()) {
      throw new IllegalArgumentException(dir.resolve("manifest.json") + " has no 'component'");
    }
    return new Fixture(dir, manifest, parent.newSubManager());
  }

  /** The directory name, which names the fixture in reports. */
  public String name() {
    return dir.getFileName().toString();
  }

  public Path dir() {
    return dir;
  }

  /** The {@code component} of the manifest, which selects the {@link ParityCheck}. */
  public String component() {
    return manifest.get("component").asText();
  }

  public JsonNode manifest() {
    return manifest;
  }

  /** The manifest's {@code params} (empty object when absent). */
  public JsonNode params() {
    return manifest.path("params");
  }

  /** {@code config.json} of the fixture (the model's own config). */
  public JsonNode config() {
    return readJson(dir.resolve("config.json"));
  }

  /** A path relative to the fixture directory, e.g. a manifest's {@code model_dir}. */
  public Path resolve(String relative) {
    return dir.resolve(relative).normalize();
  }

  /** The manager that owns what this fixture's check creates. */
  public NDManager manager() {
    return manager;
  }

  /** Output names of the manifest, in its order. */
  public List<String> outputs() {
    List<String> out = new ArrayList<>();
    manifest.path("outputs").forEach(n -> out.add(n.asText()));
    return out;
  }

  /** {@code io.safetensors}, opened on first use. */
  public SafeTensors io() {
    if (io == null) {
      io = SafeTensors.open(dir.resolve("io.safetensors"));
    }
    return io;
  }

  /** Input {@code in.<name>} as an array of this fixture's manager. */
  public NDArray input(String name) {
    return io().load("in." + name, manager);
  }

  /** Expected output {@code out.<name>} as an array of this fixture's manager. */
  public NDArray expected(String name) {
    return io().load("out." + name, manager);
  }

  /**
   * Tolerance of one output, read from the manifest's {@code tolerance}: {@code "exact": true} for
   * all; {@code "<output>": "exact"} or {@code {"atol", "rtol"}} for one output; {@code
   * "<output>_atol"} / {@code "<output>_rtol"} overriding the top-level {@code atol} / {@code
   * rtol}. Integer outputs are exact unless the manifest names a tolerance for that output (an
   * integer output with only its own atol gets rtol 0).
   */
  public Tolerance tolerance(String output, boolean integer) {
    JsonNode t = manifest.path("tolerance");
    if (t.path("exact").asBoolean(false)) {
      return Tolerance.EXACT;
    }
    JsonNode own = t.path(output);
    if (own.isTextual() && own.asText().equals("exact")) {
      return Tolerance.EXACT;
    }
    if (own.isObject()) {
      return Tolerance.of(number(own, "atol", output), number(own, "rtol", output));
    }
    boolean specific = t.has(output + "_atol") || t.has(output + "_rtol");
    if (integer && !specific) {
      return Tolerance.EXACT;
    }
    double atol = t.has(output + "_atol") ? t.get(output + "_atol").asDouble() : -1;
    double rtol = t.has(output + "_rtol") ? t.get(output + "_rtol").asDouble() : -1;
    if (atol < 0) {
      atol = number(t, "atol", output);
    }
    if (rtol < 0) {
      // an integer output given only its own atol ("images ±2") is compared at that atol alone
      rtol = integer ? 0 : number(t, "rtol", output);
    }
    return Tolerance.of(atol, rtol);
  }

  /** Compares {@code actual} with {@code out.<output>} at the manifest's tolerance. */
  public Comparison compare(String output, NDArray actual) {
    NDArray expected = expected(output);
    boolean integer = expected.getDataType().isInteger();
    return Comparison.of(output, actual, expected, tolerance(output, integer));
  }

  private double number(JsonNode node, String field, String output) {
    JsonNode n = node.get(field);
    if (n == null || !n.isNumber()) {
      throw new IllegalArgumentException(
          dir.resolve("manifest.json")
              + ": tolerance has no numeric '"
              + field
              + "' for output '"
              + output
              + "'");
    }
    return n.asDouble();
  }

  static JsonNode readJson(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("missing " + file);
    }
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      if (io != null) {
        io.close();
      }
    } finally {
      manager.close();
    }
  }
}
