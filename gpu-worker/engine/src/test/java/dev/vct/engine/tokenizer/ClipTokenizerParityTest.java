package dev.vct.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.vct.engine.parity.ParityResult;
import dev.vct.engine.parity.ParityRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Both tokenizer fixtures (33 strings, 4 outputs each) match exactly. */
class ClipTokenizerParityTest {

  @ParameterizedTest
  @ValueSource(strings = {"clip_tokenizer", "clip_tokenizer_tiny"})
  void tokenizerFixtureMatchesTheOracleExactly(String name) {
    String property = System.getProperty("vct.fixtures.dir", "");
    Path dir = Path.of(property.isEmpty() ? "vct.fixtures.dir-not-set" : property).resolve(name);
    Assumptions.assumeTrue(
        Files.isDirectory(dir), "oracle fixture not found at " + dir.toAbsolutePath());
    try (NDManager manager = NDManager.newBaseManager()) {
      ParityResult result = ParityRunner.check(dir, manager);
      assertEquals(ParityResult.Status.PASS, result.status(), result.line());
    }
  }
}
