package dev.vct.worker.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.engine.model.TinyModelWriter;
import dev.vct.engine.vct.ConceptEmbedding;
import dev.vct.engine.vct.ConceptInversionParams;
import dev.vct.engine.vct.VctImages;
import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.RgbImage;
import dev.vct.storage.blob.FilesystemBlobStore;
import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.StageRequest;
import dev.vct.storage.event.StageRunRef;
import dev.vct.storage.job.Stage;
import dev.vct.worker.stage.StageException;
import dev.vct.worker.stage.StageExecutor;
import dev.vct.worker.stage.StageResult;
import dev.vct.worker.stage.StageStoppedException;
import dev.vct.worker.stage.StopReason;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The VCT stage executors on the tiny random-weight model of {@code ./vct init-tiny}, with a short
 * schedule at 64 px, reading and writing a filesystem blob store.
 */
class VctExecutorsTest {
  private static final String MODEL_ID = "tiny";

  /** A short schedule: 3 DDIM steps, 2 inner steps, 3 concept steps of 2 tokens. */
  private static final Map<String, Object> PARAMETERS =
      Map.of(
          "ddim_steps", 3,
          "content_inner_steps", 2,
          "concept_steps", 3,
          "concept_tokens", 2,
          "initializer_word", "painting",
          "resolution", 64);

  private static Path root;
  private static EngineModels models;
  private static FilesystemBlobStore blobs;
  private static ContentInversionExecutor content;
  private static ConceptInversionExecutor concept;
  private static FusionExecutor fusion;

  @BeforeAll
  static void loadTinyModel() throws Exception {
    root = Files.createTempDirectory("vct-executors-");
    Path model = root.resolve("tiny");
    new TinyModelWriter(0, TinyModelWriter.WeightDtype.FP32).write(model);
    models = EngineFixtures.models(model, MODEL_ID, null, null, null);
    blobs = new FilesystemBlobStore(root.resolve("blobs"));
    content = new ContentInversionExecutor();
    content.models = models;
    concept = new ConceptInversionExecutor();
    concept.models = models;
    concept.config = OptionalInt::empty;
    fusion = new FusionExecutor();
    fusion.models = models;
    for (StageExecutor executor : List.of(content, concept, fusion)) {
      executor.warmUp();
    }
    put("inputs/source.png", VctImages.png(picture(96, 80, 7)));
    put("inputs/reference.png", VctImages.png(picture(64, 64, 3)));
  }

  @AfterAll
  static void closeModels() {
    if (models != null) {
      models.close(null);
    }
  }

  @Test
  void threeStagesWriteEmbeddingsWithTheirShapesAndATranslatedPicture() throws Exception {
    StageResult contentResult = content.run(request(Stage.CONTENT_INVERSION), context());
    StageResult conceptResult = concept.run(request(Stage.CONCEPT_INVERSION), context());
    StageResult fused = fusion.run(request(Stage.FUSION), context());

    assertEquals(Map.of("shape_0", 3.0, "shape_1", 77.0, "shape_2", 32.0), contentResult.metrics());
    assertEquals(Map.of("shape_0", 2.0, "shape_1", 32.0), conceptResult.metrics());
    assertTrue(blobs.exists(key(Stage.CONTENT_INVERSION)));
    assertTrue(blobs.exists(key(Stage.CONCEPT_INVERSION)));
    RgbImage translated = ImageFiles.decode(Blobs.read(blobs, key(Stage.FUSION)), "result");
    assertEquals("64x64", translated.size());
    assertEquals(Map.of(BlobRole.RESULT_IMAGE, key(Stage.FUSION)), fused.outputs());
  }

  @Test
  void conceptBatchFromTheConfigurationChunksTheWindowToTheSameEmbedding() throws Exception {
    ConceptInversionParams recipe = ConceptInversionParams.defaults();
    assertEquals(4, concept.conceptBatch(recipe.withResolution(64)), "unset: the window at 64 px");
    assertEquals(1, concept.conceptBatch(recipe.withResolution(512)), "unset: 1 at 512 px");
    concept.run(request(Stage.CONCEPT_INVERSION), context());
    float[] whole = conceptRows();
    try {
      concept.config = () -> OptionalInt.of(2);
      assertEquals(2, concept.conceptBatch(recipe.withResolution(512)), "set: overrides");
      concept.config = () -> OptionalInt.of(1);
      concept.warmUp();
      concept.run(request(Stage.CONCEPT_INVERSION), context());
      float[] chunked = conceptRows();
      assertEquals(whole.length, chunked.length);
      for (int i = 0; i < whole.length; i++) {
        assertEquals(whole[i], chunked[i], 1e-6, "row value " + i + " at one micro-step per pass");
      }

      concept.config = () -> OptionalInt.of(0);
      IllegalStateException refused = assertThrows(IllegalStateException.class, concept::warmUp);
      assertTrue(refused.getMessage().contains("VCT_CONCEPT_BATCH"), refused.getMessage());
    } finally {
      concept.config = OptionalInt::empty;
    }
  }

  private static float[] conceptRows() throws Exception {
    Path file = Files.createTempFile(root, "concept-", ".safetensors");
    Files.write(file, Blobs.read(blobs, key(Stage.CONCEPT_INVERSION)));
    return ConceptEmbedding.load(file).rows();
  }

  @Test
  void stagesStoppedAfterACheckpointResumeThereAndEndWithTheSameOutput() {
    content.run(request(Stage.CONTENT_INVERSION), context());
    concept.run(request(Stage.CONCEPT_INVERSION), context());
    Map<Stage, Integer> stopAfter =
        Map.of(Stage.CONTENT_INVERSION, 4, Stage.CONCEPT_INVERSION, 1, Stage.FUSION, 2);
    Map<Stage, StageExecutor> executors =
        Map.of(
            Stage.CONTENT_INVERSION,
            content,
            Stage.CONCEPT_INVERSION,
            concept,
            Stage.FUSION,
            fusion);
    for (Stage stage : List.of(Stage.CONTENT_INVERSION, Stage.CONCEPT_INVERSION, Stage.FUSION)) {
      StageExecutor executor = executors.get(stage);
      executor.run(request(stage), context());
      byte[] uninterrupted = Blobs.read(blobs, key(stage));
      blobs.delete(key(stage));

      int step = stopAfter.get(stage);
      TestStageContext first = context().stopAfter(step, StopReason.DRAINING);
      StageStoppedException stopped =
          assertThrows(StageStoppedException.class, () -> executor.run(request(stage), first));
      assertEquals(StopReason.DRAINING, stopped.reason());
      assertFalse(blobs.exists(key(stage)), stage + " wrote no output when stopped");
      TestStageContext second = first.resumedFrom(first.checkpoints.get(step));
      executor.run(request(stage), second);

      assertEquals(step + 1, second.steps.get(0), stage + " went on after its checkpoint");
      assertArrayEquals(
          uninterrupted, Blobs.read(blobs, key(stage)), stage + " resumed to the same output");
    }
  }

  @Test
  void cancelledStageStopsAfterTheStepInProgress() {
    TestStageContext context = context().stopAfter(1, StopReason.CANCELLED);

    StageStoppedException stopped =
        assertThrows(
            StageStoppedException.class,
            () -> content.run(request(Stage.CONTENT_INVERSION), context));

    assertEquals(StopReason.CANCELLED, stopped.reason());
    assertEquals(List.of(1), context.steps);
    assertTrue(context.checkpoints.isEmpty(), "a cancelled stage saves nothing");
  }

  /**
   * 3 DDIM steps, then timesteps of 1 + 8 + 1 UNet passes (ε_c, inner steps, advance): a cancel
   * that arrives while the 4th inner step of timestep 0 (pass 3 + 1 + 4) runs stops the stage
   * before the next pass, and the timestep is abandoned, without a checkpoint.
   */
  @Test
  void cancelDuringAContentTimestepStopsItWithinOnePass() {
    Map<String, Object> parameters = new HashMap<>(PARAMETERS);
    parameters.put("content_inner_steps", 8);
    int pass = 3 + 1 + 4;
    TestStageContext context = context().stopDuringPass(pass, StopReason.CANCELLED);

    StageStoppedException stopped =
        assertThrows(
            StageStoppedException.class,
            () -> content.run(request(Stage.CONTENT_INVERSION, MODEL_ID, parameters), context));

    assertEquals(StopReason.CANCELLED, stopped.reason());
    assertEquals(pass + 1, context.polls, "asked once more, before the next pass, and stopped");
    assertEquals(List.of(1, 2, 3), context.steps, "the open timestep is not reported");
    assertTrue(context.checkpoints.isEmpty(), "a cancelled stage saves nothing");
    assertFalse(blobs.exists(key(Stage.CONTENT_INVERSION)));
  }

  /** A drain inside a timestep checkpoints the last whole one; the resumed run redoes the rest. */
  @Test
  void drainDuringAContentTimestepResumesFromTheLastWholeTimestepToTheSameOutput() {
    Map<String, Object> parameters = new HashMap<>(PARAMETERS);
    parameters.put("content_inner_steps", 8);
    StageRequest request = request(Stage.CONTENT_INVERSION, MODEL_ID, parameters);
    content.run(request, context());
    byte[] uninterrupted = Blobs.read(blobs, key(Stage.CONTENT_INVERSION));
    blobs.delete(key(Stage.CONTENT_INVERSION));

    int pass = 3 + 10 + 1 + 4; // the 4th inner step of timestep 1
    TestStageContext first = context().stopDuringPass(pass, StopReason.DRAINING);
    StageStoppedException stopped =
        assertThrows(StageStoppedException.class, () -> content.run(request, first));
    assertEquals(StopReason.DRAINING, stopped.reason());
    assertEquals(pass + 1, first.polls);
    assertEquals(List.of(1, 2, 3, 4), first.steps);
    assertEquals(List.of(4), List.copyOf(first.checkpoints.keySet()));

    TestStageContext second = first.resumedFrom(first.checkpoints.get(4));
    content.run(request, second);
    assertEquals(List.of(5, 6), second.steps, "timestep 1 is redone whole");
    assertEquals(2 * 10, second.polls);
    assertArrayEquals(uninterrupted, Blobs.read(blobs, key(Stage.CONTENT_INVERSION)));
  }

  @Test
  void requestForAnotherModelIsRefusedForGood() {
    StageRequest other = request(Stage.CONCEPT_INVERSION, "sd15", PARAMETERS);

    StageException error = assertThrows(StageException.class, () -> concept.run(other, context()));

    assertEquals("MODEL_MISMATCH", error.code());
    assertFalse(error.retryable());
  }

  @Test
  void unknownJobParameterIsBadInput() {
    Map<String, Object> parameters = new HashMap<>(PARAMETERS);
    parameters.put("guidance", 7.5);
    StageRequest request = request(Stage.CONTENT_INVERSION, MODEL_ID, parameters);

    StageException error =
        StageException.classify(
            assertThrows(RuntimeException.class, () -> content.run(request, context())));

    assertEquals("BAD_INPUT", error.code());
    assertTrue(error.getMessage().contains("'guidance'"), error.getMessage());
  }

  private static TestStageContext context() {
    return new TestStageContext(blobs);
  }

  private static StageRequest request(Stage stage) {
    return request(stage, MODEL_ID, PARAMETERS);
  }

  private static StageRequest request(Stage stage, String modelId, Map<String, Object> parameters) {
    Map<BlobRole, String> inputs =
        switch (stage) {
          case CONTENT_INVERSION -> Map.of(BlobRole.SOURCE_IMAGE, "inputs/source.png");
          case CONCEPT_INVERSION -> Map.of(BlobRole.REFERENCE_IMAGE, "inputs/reference.png");
          default ->
              Map.of(
                  BlobRole.CONTENT_EMBEDDING, key(Stage.CONTENT_INVERSION),
                  BlobRole.CONCEPT_EMBEDDING, key(Stage.CONCEPT_INVERSION));
        };
    Map<BlobRole, String> outputs =
        switch (stage) {
          case CONTENT_INVERSION -> Map.of(BlobRole.CONTENT_EMBEDDING, key(stage));
          case CONCEPT_INVERSION -> Map.of(BlobRole.CONCEPT_EMBEDDING, key(stage));
          default -> Map.of(BlobRole.RESULT_IMAGE, key(stage));
        };
    return StageRequest.of(
        new StageRunRef(UUID.randomUUID(), UUID.randomUUID(), stage, 1),
        inputs,
        outputs,
        parameters,
        null,
        modelId,
        5L,
        Instant.now().plusSeconds(3600));
  }

  private static String key(Stage stage) {
    return switch (stage) {
      case CONTENT_INVERSION -> "embeddings/content/test.safetensors";
      case CONCEPT_INVERSION -> "embeddings/concept/test.safetensors";
      default -> "outputs/test/result.png";
    };
  }

  /** A smooth colour pattern, different per {@code seed}. */
  private static RgbImage picture(int width, int height, int seed) {
    byte[] rgb = new byte[3 * width * height];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int o = 3 * (y * width + x);
        rgb[o] = (byte) (x * 255 / width);
        rgb[o + 1] = (byte) (y * 255 / height);
        rgb[o + 2] = (byte) ((x + y) * seed % 256);
      }
    }
    return new RgbImage(width, height, rgb);
  }

  private static void put(String key, byte[] bytes) {
    blobs.put(key, new ByteArrayInputStream(bytes), bytes.length, "image/png");
  }
}
