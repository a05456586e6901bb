package dev.vct.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VctCliTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... argv) {
    return VctCli.run(
        List.of(argv),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String stdout() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpListsEveryCommandAndEachCommandHasItsOwn() {
    assertEquals(0, run("--help"));
    for (Command c : VctCli.COMMANDS) {
      assertTrue(stdout().contains(c.name()), c.name());
    }
    for (Command c : VctCli.COMMANDS) {
      out.reset();
      assertEquals(0, run(c.name(), "--help"), c.name());
      assertTrue(stdout().startsWith("usage: ./vct " + c.name()), stdout());
    }
  }

  @Test
  void unknownCommandsAndOptionsExitWithTwoAndSayWhy() {
    assertEquals(2, run("frobnicate"));
    assertTrue(stderr().contains("unknown engine command 'frobnicate'"), stderr());
    err.reset();
    assertEquals(2, run("parity", "--fixture", "x"));
    assertTrue(stderr().startsWith("vct parity: unknown option '--fixture'"), stderr());
    assertTrue(stderr().contains("usage: ./vct parity"), stderr());
    err.reset();
    assertEquals(2, run("parity"));
    assertTrue(stderr().contains("option '--fixtures' is required"), stderr());
    err.reset();
    assertEquals(2, run("init-tiny", "a", "--seed", "x"));
    assertTrue(stderr().contains("'--seed' needs an integer, got 'x'"), stderr());
    err.reset();
    assertEquals(2, run("init-tiny"));
    assertTrue(stderr().contains("expected one directory (DIR)"), stderr());

    assertEquals(2, run("bench", "unet", "--max-attention-scores", "0"));
    assertTrue(
        stderr().contains("--max-attention-scores needs a positive number of scores, got 0"),
        stderr());
  }

  @Test
  void failuresOfTheCommandExitWithOne(@TempDir Path dir) {
    assertEquals(1, run("parity", "--fixtures", dir.resolve("absent").toString()));
    assertTrue(stderr().contains("fixtures directory not found"), stderr());
  }

  @Test
  void initTinyWritesAModelFolder(@TempDir Path dir) {
    assertEquals(0, run("init-tiny", dir.toString(), "--seed=5", "--dtype", "bf16"));
    assertTrue(Files.isRegularFile(dir.resolve("unet/diffusion_pytorch_model.safetensors")));
    assertTrue(Files.isRegularFile(dir.resolve("tokenizer/vocab.json")));
  }

  @Test
  void benchVctWritesEveryStageTimeAndTheScheduleAsJsonWithoutTheWarmUp(@TempDir Path dir)
      throws Exception {
    assertEquals(0, run("init-tiny", dir.resolve("model").toString()));
    Path json = dir.resolve("bench.json");
    out.reset();
    assertEquals(
        0,
        run(
            "bench",
            "vct",
            "--model",
            dir.resolve("model").toString(),
            "--resolution",
            "64",
            "--steps",
            "2",
            "--inner-steps",
            "2",
            "--concept-steps",
            "1",
            "--warmup",
            "1",
            "--json",
            json.toString()),
        stderr());
    JsonNode report = new ObjectMapper().readTree(json.toFile());
    assertEquals(64, report.get("resolution").asInt());
    assertEquals(1, report.get("concept_steps").asInt());
    assertEquals(4, report.get("concept_micro_steps").asInt());
    assertEquals(2, report.get("ddim_steps").asInt());
    assertEquals(2, report.get("inner_steps").asInt());
    int inner = report.get("inner_iterations").asInt();
    assertTrue(inner >= 2 && inner <= 4, "one to two inner steps per timestep, got " + inner);
    assertTrue(report.get("torch_threads").asInt() >= 1);
    assertTrue(
        report.get("torch_threads_reason").asText().toLowerCase(Locale.ROOT).contains("thread"),
        report.toString());
    assertEquals(1, report.get("warmup_runs").asInt());
    double warmup = report.get("warmup_seconds").asDouble();
    assertTrue(warmup > 0, "warm-up took " + warmup + " s");
    JsonNode stages = report.get("stages");
    assertEquals(
        List.of(
            "load models", "concept-inversion", "content-inversion", "fusion", "decode", "total"),
        iterableNames(stages));
    assertEquals(1, stages.get("concept-inversion").get("steps").asInt());
    assertEquals(4, stages.get("content-inversion").get("steps").asInt());
    assertEquals(2, stages.get("fusion").get("steps").asInt());
    double parts = 0;
    for (String stage :
        List.of("load models", "concept-inversion", "content-inversion", "fusion")) {
      double s = stages.get(stage).get("seconds").asDouble();
      assertTrue(s > 0, stage + " took " + s + " s");
      parts += s;
    }
    double total = stages.get("total").get("seconds").asDouble();
    double decode = stages.get("decode").get("seconds").asDouble();
    assertTrue(
        total >= parts + decode, total + " s total, " + (parts + decode) + " s in the lines");
    assertTrue(
        total < parts + decode + warmup, "the total leaves the warm-up out: " + total + " s");
    assertTrue(stdout().contains("fusion"), stdout());
  }

  private static List<String> iterableNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
