package dev.vct.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vct.engine.scoring.ScoringTestFiles;
import dev.vct.engine.scoring.WeightFile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreCommandTest {

  @TempDir static Path tmp;

  private static Path lpips;
  private static Path model;
  private static Path range;
  private static Path source;
  private static Path result;

  /** Model files and pictures shared by every test (writing the weights takes a while). */
  @BeforeAll
  static void files() throws Exception {
    lpips = ScoringTestFiles.randomLpipsWeights(tmp, 11);
    Path[] brisque = ScoringTestFiles.brisqueModelFiles(tmp);
    model = brisque[0];
    range = brisque[1];
    source = png("source.png", 64, 48, 1);
    result = png("result.png", 64, 48, 2);
  }

  @Test
  void printsBothScoresAndTheModelFilesThatProducedThemAsJson() throws Exception {
    Run run =
        run(
            Map.of(),
            "score",
            "--source",
            source.toString(),
            "--result",
            result.toString(),
            "--lpips-weights",
            lpips.toString(),
            "--brisque-model",
            model.toString(),
            "--brisque-range",
            range.toString());
    assertEquals(0, run.status, run.err);
    JsonNode json = new ObjectMapper().readTree(run.out);
    assertTrue(json.get("lpips").asDouble() > 0, run.out);
    double brisque = json.get("brisque").asDouble();
    assertTrue(brisque >= 0 && brisque <= 100, run.out);
    assertEquals(WeightFile.of(lpips).sha256(), json.at("/weights/lpips/sha256").asText());
    assertEquals("lpips-random.safetensors", json.at("/weights/lpips/file").asText());
    assertEquals(
        "4c44c7eec9e5139830c0bb0e4a044c9cd351ba5bbc9e3798beca3243e2782ff4",
        json.at("/weights/brisque_model/sha256").asText());
    assertEquals(range.toString(), json.at("/weights/brisque_range/path").asText());
  }

  @Test
  void modelFilesComeFromTheEnvironmentWhenNoFlagIsGiven() throws Exception {
    Map<String, String> env =
        Map.of(
            "VCT_LPIPS_WEIGHTS", lpips.toString(),
            "VCT_BRISQUE_MODEL", model.toString(),
            "VCT_BRISQUE_RANGE", range.toString());
    Run run = run(env, "score", "--source", source.toString(), "--result", source.toString());
    assertEquals(0, run.status, run.err);
    assertEquals(0.0, new ObjectMapper().readTree(run.out).get("lpips").asDouble());
  }

  @Test
  void aMissingModelFileIsReportedWithItsFlagAndEnvironmentVariable() throws Exception {
    Run unset =
        run(
            Map.of("VCT_BRISQUE_MODEL", model.toString(), "VCT_BRISQUE_RANGE", range.toString()),
            "score",
            "--source",
            source.toString(),
            "--result",
            result.toString());
    assertEquals(1, unset.status);
    assertTrue(
        unset.err.contains("--lpips-weights") && unset.err.contains("VCT_LPIPS_WEIGHTS"),
        unset.err);

    Run absent =
        run(
            Map.of("VCT_LPIPS_WEIGHTS", lpips.toString(), "VCT_BRISQUE_RANGE", range.toString()),
            "score",
            "--source",
            source.toString(),
            "--result",
            result.toString(),
            "--brisque-model",
            tmp.resolve("nowhere.yml").toString());
    assertEquals(1, absent.status);
    assertTrue(
        absent.err.contains("nowhere.yml")
            && absent.err.contains("--brisque-model")
            && absent.err.contains("VCT_BRISQUE_MODEL"),
        absent.err);
  }

  @Test
  void damagedOrMismatchedPicturesFailWithTheReasonNotAStackTrace() throws Exception {
    Map<String, String> env =
        Map.of(
            "VCT_LPIPS_WEIGHTS", lpips.toString(),
            "VCT_BRISQUE_MODEL", model.toString(),
            "VCT_BRISQUE_RANGE", range.toString());
    byte[] bytes = Files.readAllBytes(result);
    Path cut = Files.write(tmp.resolve("cut.png"), Arrays.copyOf(bytes, bytes.length / 2));
    Run damaged = run(env, "score", "--source", source.toString(), "--result", cut.toString());
    assertEquals(1, damaged.status);
    assertTrue(damaged.err.contains("cut.png") && damaged.err.contains("truncated"), damaged.err);

    Path other = png("other.png", 48, 64, 3);
    Run mismatch = run(env, "score", "--source", source.toString(), "--result", other.toString());
    assertEquals(1, mismatch.status);
    assertTrue(mismatch.err.contains("64x48") && mismatch.err.contains("48x64"), mismatch.err);
    assertTrue(!mismatch.err.contains("Exception"), mismatch.err);
  }

  @Test
  void aMissingPictureOptionIsAUsageError() {
    Run run = run(Map.of(), "score", "--source", source.toString());
    assertEquals(2, run.status);
    assertTrue(run.err.contains("--result"), run.err);
  }

  private static Path png(String name, int width, int height, long seed) throws Exception {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    Random random = new Random(seed);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, random.nextInt());
      }
    }
    Path file = tmp.resolve(name);
    ImageIO.write(image, "png", file.toFile());
    return file;
  }

  /** What the command printed, or the exception VctCli would report (its message only). */
  private record Run(int status, String out, String err) {}

  private static Run run(Map<String, String> env, String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> args = List.of(argv).subList(1, argv.length);
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      int status = new ScoreCommand(env).run(args, o);
      return new Run(status, out.toString(StandardCharsets.UTF_8), "");
    } catch (UsageException e) {
      return new Run(2, "", e.getMessage());
    } catch (Exception e) {
      return new Run(1, "", e.getMessage());
    }
  }
}
