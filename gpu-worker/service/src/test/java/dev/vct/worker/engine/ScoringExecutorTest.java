package dev.vct.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.engine.image.PilResize;
import dev.vct.engine.scoring.Scores;
import dev.vct.engine.vct.VctImages;
import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.RgbImage;
import dev.vct.storage.blob.FilesystemBlobStore;
import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.job.Stage;
import dev.vct.worker.stage.StageException;
import dev.vct.worker.stage.StageResult;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scoring executor on the oracle fixtures' LPIPS weights and BRISQUE model, no servers. */
class ScoringExecutorTest {
  private static EngineModels models;
  private static ScoringExecutor executor;
  private static Path brisqueDir;

  @TempDir Path blobRoot;

  @BeforeAll
  static void loadModels() {
    Path lpips = EngineFixtures.fixture("lpips");
    brisqueDir = EngineFixtures.fixture("brisque");
    models =
        EngineFixtures.models(
            null,
            "sd15",
            lpips.resolve("weights.safetensors"),
            brisqueDir.resolve("brisque_model_live.yml"),
            brisqueDir.resolve("brisque_range_live.yml"));
    executor = new ScoringExecutor();
    executor.models = models;
    executor.warmUp();
  }

  @AfterAll
  static void closeModels() {
    if (models != null) {
      models.close(null);
    }
  }

  @Test
  void scoresTheResultAgainstTheCentreSquareOfTheSourceAtTheResultsSize() throws Exception {
    FilesystemBlobStore blobs = new FilesystemBlobStore(blobRoot);
    // A landscape source (240x160) and a square 128x128 result.
    byte[] source = Files.readAllBytes(brisqueDir.resolve("img01_coffee.png"));
    byte[] result = Files.readAllBytes(brisqueDir.resolve("img09_astronaut_jpeg30.png"));
    StageRequest request = request(blobs, source, result);
    TestStageContext context = new TestStageContext(blobs);

    StageResult scored = executor.run(request, context);

    RgbImage seen =
        PilResize.bicubic(PilResize.centerSquare(ImageFiles.decode(source, "source")), 128, 128);
    Scores expected = models.scorer().score(seen, ImageFiles.decode(result, "result"));
    assertEquals(expected.lpips(), scored.metrics().get("lpips"));
    assertEquals(expected.brisque(), scored.metrics().get("brisque"));
    assertTrue(expected.lpips() > 0.1, "two different pictures are far apart");
    assertEquals(Map.of(), scored.outputs());
    assertEquals(List.of(1), context.steps);
  }

  @Test
  void anOddSizedPortraitSourceIsScoredAsContentInversionPreparedIt() throws Exception {
    FilesystemBlobStore blobs = new FilesystemBlobStore(blobRoot);
    // 159x240: portrait, odd width, odd difference (81): the crop offset rounds down to 40.
    RgbImage landscape =
        ImageFiles.decode(Files.readAllBytes(brisqueDir.resolve("img01_coffee.png")), "coffee");
    RgbImage portrait = transposedCrop(landscape, 159, 240);
    byte[] source = VctImages.png(portrait);
    byte[] result = Files.readAllBytes(brisqueDir.resolve("img09_astronaut_jpeg30.png"));

    StageResult scored = executor.run(request(blobs, source, result), new TestStageContext(blobs));

    // The source exactly as content inversion's input holds it, back from floats to bytes.
    RgbImage inverted = fromPixels(VctImages.source(portrait, 128), 128);
    RgbImage resultImage = ImageFiles.decode(result, "result");
    double expected = models.scorer().score(inverted, resultImage).lpips();
    assertEquals(expected, scored.metrics().get("lpips"));
    // A crop one pixel lower (offset rounded up) scores differently: the test sees the crop.
    RgbImage shifted = PilResize.bicubic(rows(portrait, 41, 159), 128, 128);
    assertNotEquals(expected, models.scorer().score(shifted, resultImage).lpips());
  }

  @Test
  void aNonSquareResultFailsAsBadInput() throws Exception {
    FilesystemBlobStore blobs = new FilesystemBlobStore(blobRoot);
    byte[] source = Files.readAllBytes(brisqueDir.resolve("img00_astronaut.png"));
    byte[] result = Files.readAllBytes(brisqueDir.resolve("img01_coffee.png"));

    StageException error =
        assertThrows(
            StageException.class,
            () -> executor.run(request(blobs, source, result), new TestStageContext(blobs)));

    assertEquals("BAD_INPUT", error.code());
    assertTrue(error.getMessage().contains("240x160"), error.getMessage());
  }

  @Test
  void aResultThatIsNotAnImageFailsAsBadInputThatNoRetryFixes() throws Exception {
    FilesystemBlobStore blobs = new FilesystemBlobStore(blobRoot);
    byte[] source = Files.readAllBytes(brisqueDir.resolve("img00_astronaut.png"));
    StageRequest request = request(blobs, source, "not a picture".getBytes(StandardCharsets.UTF_8));

    StageException error =
        assertThrows(
            StageException.class, () -> executor.run(request, new TestStageContext(blobs)));

    assertEquals("BAD_INPUT", error.code());
    assertFalse(error.retryable());
    assertTrue(error.getMessage().contains("not a PNG or JPEG"), error.getMessage());
  }

  @Test
  void missingModelFilesFailAtStartNamingTheProperties() {
    EngineModels unconfigured = EngineFixtures.models(null, "sd15", null, null, null);

    IllegalStateException error = assertThrows(IllegalStateException.class, unconfigured::scorer);

    assertTrue(error.getMessage().contains("vct.lpips.weights"), error.getMessage());
    assertTrue(error.getMessage().contains("VCT_BRISQUE_RANGE"), error.getMessage());
  }

  private static StageRequest request(FilesystemBlobStore blobs, byte[] source, byte[] result) {
    UUID job = UUID.randomUUID();
    String sourceKey = "inputs/" + job + "/source.png";
    String resultKey = "outputs/" + job + "/result.png";
    blobs.put(sourceKey, new ByteArrayInputStream(source), source.length, "image/png");
    blobs.put(resultKey, new ByteArrayInputStream(result), result.length, "image/png");
    return StageRequest.of(
        new StageRunRef(job, UUID.randomUUID(), Stage.SCORING, 1),
        Map.of(BlobRole.SOURCE_IMAGE, sourceKey, BlobRole.RESULT_IMAGE, resultKey),
        Map.of(),
        Map.of(),
        null,
        "sd15",
        1L,
        Instant.now().plusSeconds(3600));
  }

  /** The top-left {@code width x height} of {@code in} transposed (rows become columns). */
  private static RgbImage transposedCrop(RgbImage in, int width, int height) {
    byte[] out = new byte[3 * width * height];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        System.arraycopy(in.rgb(), 3 * (x * in.width() + y), out, 3 * (y * width + x), 3);
      }
    }
    return new RgbImage(width, height, out);
  }

  /** Rows {@code top .. top + count - 1} of {@code in}. */
  private static RgbImage rows(RgbImage in, int top, int count) {
    byte[] out = new byte[3 * in.width() * count];
    System.arraycopy(in.rgb(), 3 * top * in.width(), out, 0, out.length);
    return new RgbImage(in.width(), count, out);
  }

  /** (3, side, side) planes of u8 / 127.5 - 1 back to 8-bit RGB. */
  private static RgbImage fromPixels(float[] chw, int side) {
    int plane = side * side;
    byte[] rgb = new byte[3 * plane];
    for (int p = 0; p < plane; p++) {
      for (int c = 0; c < 3; c++) {
        rgb[3 * p + c] = (byte) Math.round((chw[c * plane + p] + 1f) * 127.5f);
      }
    }
    return new RgbImage(side, side, rgb);
  }
}
