package dev.vct.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.vct.local.QuarkusService;
import dev.vct.storage.event.EventJson;
import dev.vct.storage.job.Stage;
import dev.vct.system.JobClient.JobRow;
import dev.vct.system.JobClient.StageRunRow;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Single flight as a user meets it: one reference applied to ten photos, all submitted at once
 * through the API gateway, learn the concept once. One worker per stage pool, as {@code ./vct up}
 * runs; the concept inversion takes a few seconds (the workers' simulated step time), long enough
 * for every job to be planned while it is in flight. Counted twice: the stage runs' attempts in
 * PostgreSQL and the inversion worker's "stage started" lines. Real PostgreSQL, Kafka and S3
 * processes, the packaged gateway, orchestrator and simulated workers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SingleFlightIT {

  private static final String CONCEPT = Stage.CONCEPT_INVERSION.code();

  private static final JobStack.Settings SETTINGS =
      PoolStack.settings(
          // jobs through the gateway carry only real knobs: the workers set the pace
          Map.of(
              "VCT_SIMULATE_STEPS", "3",
              "VCT_SIMULATE_STEP_MS", "10",
              "VCT_SIMULATE_CONCEPT_INVERSION_STEPS", "120",
              "VCT_SIMULATE_CONCEPT_INVERSION_STEP_MS", "50"));

  private static final String ADMIN_KEY = "vct_single-flight-admin-" + UUID.randomUUID();

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private JobStack stack;
  private JobClient database;
  private String gateway;
  private String apiKey;

  @BeforeAll
  void start() throws IOException {
    stack = JobStack.start(Files.createTempDirectory("vct-single-flight-"), SETTINGS);
    QuarkusService started = stack.startGateway(ADMIN_KEY);
    gateway = started.url();
    database = new JobClient(stack);
    JsonNode tenant =
        post(
            "/v1/admin/tenants",
            ADMIN_KEY,
            Map.of(
                "name", "single-flight", "max_concurrent_jobs", 100, "requests_per_minute", 1000),
            201);
    apiKey = tenant.at("/api_keys/0/key").asText();
    assertTrue(apiKey.startsWith("vct_"), tenant.toString());
  }

  @AfterAll
  void stop() {
    if (database != null) {
      database.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void tenJobsWithOneReferenceSubmittedAtOnceRunOneConceptInversionAndAllSucceed() {
    String reference = png(200, 40, 40);
    List<UUID> jobs = submitAtOnce(reference, 10, 0);

    // while the one concept inversion runs, the others show what they wait for
    JsonNode waiting =
        awaitValue(
            () ->
                jobs.stream()
                    .map(job -> stageOrMissing(job, CONCEPT))
                    .filter(concept -> "waiting".equals(concept.path("status").asText()))
                    .findFirst()
                    .orElse(null),
            "no job's concept inversion shows that it waits");
    UUID owner = UUID.fromString(waiting.at("/waiting_for/job_id").asText());
    assertTrue(jobs.contains(owner), waiting.toString());
    assertEquals(
        database.stageRun(owner, CONCEPT).id().toString(),
        waiting.at("/waiting_for/stage_run_id").asText());

    Map<UUID, JobRow> done = awaitTerminal(jobs);
    for (UUID job : jobs) {
      assertEquals("succeeded", done.get(job).status(), () -> job + " " + done.get(job));
    }
    List<StageRunRow> concepts = jobs.stream().map(job -> database.stageRun(job, CONCEPT)).toList();
    int dispatched = concepts.stream().mapToInt(StageRunRow::attempt).sum();
    long startedOnTheWorker = conceptStarts();
    System.out.printf(
        "SingleFlightIT: %d jobs, %d concept inversion dispatched, %d started on the worker%n",
        jobs.size(), dispatched, startedOnTheWorker);
    assertEquals(1, dispatched, "concept inversions dispatched: " + concepts);
    assertEquals(1, startedOnTheWorker, "concept inversions started on the inversion worker");
    String embedding = database.stageRun(owner, CONCEPT).outputKey();
    for (UUID job : jobs) {
      JsonNode concept = stage(job, CONCEPT);
      if (job.equals(owner)) {
        assertEquals("succeeded", concept.get("status").asText(), concept.toString());
      } else {
        assertEquals("skipped", concept.get("status").asText(), concept.toString());
        assertTrue(
            concept.get("skip_reason").asText().contains("it waited for"), concept.toString());
        assertEquals(embedding, database.stageRun(job, CONCEPT).outputKey());
      }
    }
  }

  @Test
  void cancellingTheJobWhoseRunOthersWaitForDoesNotStopThatRun() {
    String reference = png(30, 160, 90);
    List<UUID> jobs = submitAtOnce(reference, 4, 100);
    UUID owner =
        awaitValue(
            () ->
                jobs.stream()
                    .filter(
                        job ->
                            database.stageRuns(job).stream()
                                .anyMatch(
                                    run ->
                                        run.stage().equals(CONCEPT)
                                            && run.status().equals("running")))
                    .findFirst()
                    .orElse(null),
            "no concept inversion running");
    long startsBefore = conceptStarts();

    send(
        HttpRequest.newBuilder(URI.create(gateway + "/v1/translations/" + owner + "/cancel"))
            .header("Authorization", "Bearer " + apiKey)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        202);

    awaitTrue(
        () -> database.job(owner).status().equals("cancelled"),
        () -> "the owner's job is " + database.job(owner).status());
    List<UUID> others = jobs.stream().filter(job -> !job.equals(owner)).toList();
    Map<UUID, JobRow> done = awaitTerminal(others);
    for (UUID job : others) {
      assertEquals("succeeded", done.get(job).status(), () -> job + " " + done.get(job));
      assertEquals("skipped", database.stageRun(job, CONCEPT).status());
    }
    assertEquals("cancelled", database.job(owner).status());
    assertEquals("succeeded", database.stageRun(owner, CONCEPT).status(), "run on for the others");
    assertEquals(1, database.stageRun(owner, CONCEPT).attempt());
    assertEquals(startsBefore, conceptStarts(), "no second concept inversion started");
  }

  /** Submits {@code n} jobs with {@code reference} and fresh sources, concurrently. */
  private List<UUID> submitAtOnce(String reference, int n, int firstSource) {
    List<CompletableFuture<UUID>> posts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String source = png(firstSource + i, 90, 160);
      posts.add(
          CompletableFuture.supplyAsync(
              () ->
                  UUID.fromString(
                      post(
                              "/v1/translations",
                              apiKey,
                              Map.of("source", source, "reference", reference),
                              202)
                          .get("id")
                          .asText())));
    }
    return posts.stream().map(CompletableFuture::join).toList();
  }

  private Map<UUID, JobRow> awaitTerminal(List<UUID> jobs) {
    try {
      return database.awaitTerminal(jobs, Duration.ofSeconds(180));
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage() + stack.logTails(40), e);
    }
  }

  /** "stage started" lines of concept inversions in the inversion worker's log. */
  private long conceptStarts() {
    Path log = stack.worker("worker-inversion-1").logFile();
    try (var lines = Files.lines(log)) {
      return lines.filter(line -> line.contains("stage started: " + CONCEPT + " ")).count();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + log, e);
    }
  }

  /** The job's {@code stage} as {@code GET /v1/translations/{id}} shows it. */
  private JsonNode stage(UUID job, String stage) {
    JsonNode found = stageOrMissing(job, stage);
    if (found.isMissingNode()) {
      throw new AssertionError("job " + job + " shows no " + stage);
    }
    return found;
  }

  /** As {@link #stage}; a missing node while the job is not planned yet. */
  private JsonNode stageOrMissing(UUID job, String stage) {
    for (JsonNode node : get("/v1/translations/" + job).get("stages")) {
      if (node.get("stage").asText().equals(stage)) {
        return node;
      }
    }
    return MissingNode.getInstance();
  }

  private JsonNode get(String path) {
    return send(
        HttpRequest.newBuilder(URI.create(gateway + path))
            .header("Authorization", "Bearer " + apiKey)
            .GET()
            .build(),
        200);
  }

  private JsonNode post(String path, String key, Map<String, Object> body, int expected) {
    try {
      return send(
          HttpRequest.newBuilder(URI.create(gateway + path))
              .header("Authorization", "Bearer " + key)
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofString(EventJson.mapper().writeValueAsString(body)))
              .build(),
          expected);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private JsonNode send(HttpRequest request, int expected) {
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      assertEquals(
          expected, response.statusCode(), () -> request.uri() + " answered " + response.body());
      return EventJson.mapper().readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(request.uri() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** A 32x32 PNG of one colour (plus a marker pixel), base64 for the JSON body. */
  private static String png(int red, int green, int blue) {
    BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        image.setRGB(x, y, new Color(red % 256, green, blue).getRGB());
      }
    }
    image.setRGB(0, 0, new Color(red / 256, 0, 0).getRGB());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  private static void awaitTrue(BooleanSupplier condition, Supplier<String> what) {
    awaitValue(() -> condition.getAsBoolean() ? Boolean.TRUE : null, what);
  }

  private static <T> T awaitValue(Supplier<T> value, String what) {
    return awaitValue(value, () -> what);
  }

  private static <T> T awaitValue(Supplier<T> value, Supplier<String> what) {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < until) {
      T found = value.get();
      if (found != null) {
        return found;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    throw new AssertionError(what.get());
  }
}
