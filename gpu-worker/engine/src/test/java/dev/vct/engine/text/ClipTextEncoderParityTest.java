package dev.vct.engine.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.vct.engine.parity.ParityResult;
import dev.vct.engine.parity.ParityRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The clip_text_encoder fixture (transformers CLIPTextModel) within its 1e-5 tolerance. */
class ClipTextEncoderParityTest {

  @Test
  void textEncoderFixtureMatchesTransformers() {
    String property = System.getProperty("vct.fixtures.dir", "");
    Path dir =
        Path.of(property.isEmpty() ? "vct.fixtures.dir-not-set" : property)
            .resolve("clip_text_encoder");
    Assumptions.assumeTrue(
        Files.isDirectory(dir), "oracle fixture not found at " + dir.toAbsolutePath());
    try (NDManager manager = NDManager.newBaseManager()) {
      ParityResult result = ParityRunner.check(dir, manager);
      assertEquals(ParityResult.Status.PASS, result.status(), result.line());
    }
  }
}
