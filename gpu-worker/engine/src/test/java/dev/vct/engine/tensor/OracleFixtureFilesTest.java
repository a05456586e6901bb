package dev.vct.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Every safetensors file of the oracle fixtures (written by Python) opens and loads. */
class OracleFixtureFilesTest {

  @Test
  void everyFixtureFileOpensAndIoNamesMatchTheManifest() throws IOException {
    String root = System.getProperty("vct.fixtures.dir", "");
    Path fixtures = Path.of(root.isEmpty() ? "absent-vct.fixtures.dir" : root);
    Assumptions.assumeTrue(
        Files.isDirectory(fixtures), "oracle fixtures not found at " + fixtures.toAbsolutePath());
    List<Path> files;
    try (Stream<Path> walk = Files.walk(fixtures)) {
      files = walk.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
    }
    assertFalse(files.isEmpty());
    ObjectMapper json = new ObjectMapper();
    try (NDManager manager = NDManager.newBaseManager()) {
      for (Path file : files) {
        try (SafeTensors st = SafeTensors.open(file);
            NDManager scope = manager.newSubManager()) {
          for (String name : st.names()) {
            NDArray a = st.load(name, scope);
            assertEquals(st.info(name).elementCount(), a.size(), file + " " + name);
            DataType expected =
                st.info(name).dtype() == DType.I64 ? DataType.INT64 : DataType.FLOAT32;
            assertEquals(expected, a.getDataType(), file + " " + name);
          }
          Path manifest = file.resolveSibling("manifest.json");
          if (file.getFileName().toString().equals("io.safetensors")) {
            JsonNode m = json.readTree(manifest.toFile());
            List<String> expected = new ArrayList<>();
            m.get("outputs").forEach(o -> expected.add("out." + o.asText()));
            for (String out : expected) {
              assertTrue(st.contains(out), file + " lacks " + out);
            }
          }
        }
      }
    }
  }
}
