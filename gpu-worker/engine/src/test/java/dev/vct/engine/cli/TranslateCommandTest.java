package dev.vct.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.engine.model.TinyModelWriter;
import dev.vct.engine.vct.VctImages;
import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.RgbImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./vct translate} end to end on a tiny model, in child JVMs that can be SIGKILLed. */
class TranslateCommandTest {

  @TempDir static Path dir;
  private static Path model;
  private static Path source;
  private static Path reference;

  @BeforeAll
  static void prepare() {
    model = dir.resolve("model");
    new TinyModelWriter(5, TinyModelWriter.WeightDtype.FP32).write(model);
    source = dir.resolve("source.png");
    reference = dir.resolve("reference.png");
    VctImages.writePng(picture(80, 64, 1), source);
    VctImages.writePng(picture(48, 48, 2), reference);
  }

  private static RgbImage picture(int w, int h, int seed) {
    byte[] rgb = new byte[3 * w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < 3; c++) {
          rgb[3 * (y * w + x) + c] = (byte) ((x * (c + seed) * 7 + y * 5 * seed) % 256);
        }
      }
    }
    return new RgbImage(w, h, rgb);
  }

  private static List<String> translate(Path out, Path checkpoints) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "translate",
                "--model",
                model.toString(),
                "--source",
                source.toString(),
                "--reference",
                reference.toString(),
                "--out",
                out.toString(),
                "--resolution",
                "64",
                "--steps",
                "6",
                "--inner-steps",
                "3",
                "--concept-steps",
                "40",
                "--seed",
                "11"));
    if (checkpoints != null) {
      argv.addAll(List.of("--checkpoint-dir", checkpoints.toString()));
    }
    return argv;
  }

  private static Process child(List<String> argv, Path log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-Dai.djl.offline=true");
    command.add("dev.vct.engine.cli.VctCli");
    command.addAll(argv);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().put("OMP_WAIT_POLICY", "passive");
    return pb.start();
  }

  private static int finish(Process p, Path log) throws Exception {
    assertTrue(
        p.waitFor(5, TimeUnit.MINUTES), "translate did not finish: " + Files.readString(log));
    return p.exitValue();
  }

  @Test
  void runKilledWithSigkillResumesFromItsCheckpointAndWritesTheSameBytes() throws Exception {
    Path expected = dir.resolve("expected.png");
    Path log1 = dir.resolve("uninterrupted.log");
    assertEquals(0, finish(child(translate(expected, null), log1), log1), Files.readString(log1));

    Path checkpoints = dir.resolve("checkpoints");
    Path resumed = dir.resolve("resumed.png");
    Path log2 = dir.resolve("killed.log");
    Process killed = child(translate(resumed, checkpoints), log2);
    Path conceptCheckpoint = checkpoints.resolve("concept-inversion.safetensors");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!Files.exists(conceptCheckpoint) && System.nanoTime() < deadline && killed.isAlive()) {
      Thread.sleep(50);
    }
    assertTrue(
        killed.isAlive(), "the run ended before it could be killed: " + Files.readString(log2));
    Thread.sleep(300); // a few more steps, so the kill lands in the middle of the stage
    killed.destroyForcibly(); // SIGKILL
    killed.waitFor();
    assertTrue(Files.notExists(resumed), "the killed run wrote no image");

    Path log3 = dir.resolve("resumed.log");
    assertEquals(0, finish(child(translate(resumed, checkpoints), log3), log3));
    String output = Files.readString(log3);
    assertTrue(output.contains("concept-inversion: resuming after step"), output);
    assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(resumed));
    RgbImage image = ImageFiles.read(resumed);
    assertEquals(64, image.width());
    assertEquals(64, image.height());
  }

  @Test
  void missingOptionsAreUsageErrors() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        VctCli.run(
            List.of("translate", "--source", "a.png"),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, status);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--model"), err.toString());
    err.reset();
    status =
        VctCli.run(
            List.of(
                "translate",
                "--model",
                "m",
                "--source",
                "a",
                "--reference",
                "b",
                "--out",
                "o",
                "--resolution",
                "100"),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, status);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("multiple of 8"), err.toString());
  }
}
