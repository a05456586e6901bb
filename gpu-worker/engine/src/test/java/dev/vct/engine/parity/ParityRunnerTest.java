package dev.vct.engine.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.vct.engine.tensor.SafeTensorsWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParityRunnerTest {

  @TempDir Path root;

  private void fixture(String name, String manifest) throws IOException {
    Path dir = Files.createDirectories(root.resolve(name));
    Files.writeString(dir.resolve("manifest.json"), manifest);
  }

  private Path fixtureWithTolerance(String tolerance) throws IOException {
    fixture(
        "f",
        "{\"component\":\"ddim_scheduler\",\"outputs\":[\"a\",\"ids\",\"images_u8\"],"
            + "\"tolerance\":"
            + tolerance
            + "}");
    return root.resolve("f");
  }

  @Test
  void toleranceIsReadPerOutputWithIntegersExactByDefault() throws IOException {
    Path dir =
        fixtureWithTolerance(
            "{\"atol\":1e-3,\"rtol\":1e-2,\"images_u8_atol\":2,\"b\":\"exact\","
                + "\"c\":{\"atol\":1e-4,\"rtol\":0.5},\"a_rtol\":0.25}");
    try (NDManager m = NDManager.newBaseManager();
        Fixture f = Fixture.open(dir, m)) {
      assertEquals(Tolerance.of(1e-3, 0.25), f.tolerance("a", false));
      assertEquals(Tolerance.EXACT, f.tolerance("ids", true));
      assertEquals(Tolerance.of(2, 0), f.tolerance("images_u8", true));
      assertEquals(Tolerance.EXACT, f.tolerance("b", false));
      assertEquals(Tolerance.of(1e-4, 0.5), f.tolerance("c", false));
      assertEquals(Tolerance.of(1e-3, 1e-2), f.tolerance("other", false));
    }
    Path exact = root.resolve("e");
    Files.createDirectories(exact);
    Files.writeString(
        exact.resolve("manifest.json"), "{\"component\":\"x\",\"tolerance\":{\"exact\":true}}");
    try (NDManager m = NDManager.newBaseManager();
        Fixture f = Fixture.open(exact, m)) {
      assertEquals(Tolerance.EXACT, f.tolerance("anything", false));
    }
  }

  @Test
  void comparisonFollowsNumpyAllclose() {
    Tolerance t = Tolerance.of(1e-3, 1e-2);
    Comparison ok = Comparison.of("x", new float[] {100.9f, 0.0005f}, new float[] {100, 0}, t);
    assertTrue(ok.pass());
    assertEquals(0.9, ok.maxAbs(), 1e-4);
    assertEquals(0.009, ok.maxRel(), 1e-6);
    assertFalse(Comparison.of("x", new float[] {101.1f}, new float[] {100}, t).pass());
    assertFalse(Comparison.of("x", new float[] {Float.NaN}, new float[] {0}, t).pass());
    assertFalse(Comparison.of("x", new float[] {1, 2}, new float[] {1}, t).pass());
    assertTrue(Comparison.of("ids", new long[] {5, 7}, new long[] {5, 7}, Tolerance.EXACT).pass());
    assertFalse(Comparison.of("ids", new long[] {5, 8}, new long[] {5, 7}, Tolerance.EXACT).pass());
  }

  @Test
  void runnerReportsPassFailAndSkipAndSkipsModelFolders() throws IOException {
    fixture("a_unknown", "{\"component\":\"no_such_component\"}");
    // a scheduler fixture whose expected betas are wrong: the check runs and fails on them
    fixture(
        "b_broken",
        "{\"component\":\"ddim_scheduler\",\"params\":{\"num_inference_steps\":2},"
            + "\"tolerance\":{\"atol\":1e-5,\"rtol\":1e-5},\"outputs\":[]}");
    Path broken = root.resolve("b_broken");
    Files.writeString(
        broken.resolve("config.json"),
        "{\"beta_schedule\":\"scaled_linear\",\"beta_start\":0.00085,\"beta_end\":0.012,"
            + "\"clip_sample\":false,\"set_alpha_to_one\":false,\"steps_offset\":1}");
    float[] zeros = new float[2 * 4];
    new SafeTensorsWriter()
        .put("in.model_outputs", zeros, 2, 1, 4)
        .put("in.samples", zeros, 2, 1, 4)
        .put("in.step_timesteps", new long[] {501, 1}, 2)
        .put("out.timesteps", new long[] {501, 1}, 2)
        .put("out.betas", new float[1000], 1000)
        .put("out.alphas_cumprod", new float[1000], 1000)
        .put("out.final_alpha_cumprod", new float[1], 1)
        .put("out.prev_sample", zeros, 2, 1, 4)
        .put("out.pred_original_sample", zeros, 2, 1, 4)
        .put("out.vct_next_step", zeros, 2, 1, 4)
        .put("out.vct_prev_step", zeros, 2, 1, 4)
        .write(broken.resolve("io.safetensors"));
    Files.createDirectories(root.resolve("tiny_model/unet"));
    Files.writeString(root.resolve("tiny_model/unet/config.json"), "{}");

    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean ok = ParityRunner.run(root, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

    assertFalse(ok);
    assertEquals(3, lines.size(), String.join("\n", lines));
    assertEquals("SKIP a_unknown no parity check for component 'no_such_component'", lines.get(0));
    assertTrue(lines.get(1).startsWith("FAIL b_broken max_abs="), lines.get(1));
    assertTrue(lines.get(1).contains("betas (max_abs="), lines.get(1));
    assertTrue(lines.get(1).contains("alphas_cumprod"), lines.get(1));
    assertFalse(lines.get(1).contains("timesteps ("), "timesteps matched: " + lines.get(1));
    assertEquals("parity: 0 passed, 1 failed", lines.get(2));
  }
}
