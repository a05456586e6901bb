package dev.vct.gateway.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.gateway.testing.FakeOrchestrator;
import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.Tenants;
import dev.vct.gateway.testing.TestImages;
import dev.vct.storage.job.Scores;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The web console in a real headless Chromium: a job submitted in the page shows its stages
 * progressing live and ends with the result beside the inputs, its scores, and a row in the
 * history. This test plays the orchestrator's part (FakeOrchestrator). The screenshot is kept as
 * target/console-e2e/console.png.
 */
@QuarkusTest
class ConsoleBrowserTest {
  private static final Path DIR = Path.of("target", "console-e2e").toAbsolutePath();

  @Inject FakeOrchestrator orchestrator;

  @Test
  void aTranslationSubmittedInTheBrowserShowsLiveProgressAndItsResult() throws Exception {
    Path chromium = Browser.chromium();
    Path script = Browser.script(DIR);
    Tenants.Created tenant = Tenants.create("console");
    Path source = DIR.resolve("source.png");
    Path reference = DIR.resolve("reference.png");
    Files.write(source, TestImages.png(96, 80, 11));
    Files.write(reference, TestImages.jpeg(80, 96, 12));
    Path screenshot = DIR.resolve("console.png");
    Files.deleteIfExists(screenshot);

    Process browser =
        new ProcessBuilder(
                "node",
                script.toString(),
                chromium.toString(),
                Http.base(),
                tenant.key(),
                source.toString(),
                reference.toString(),
                screenshot.toString())
            .directory(DIR.toFile())
            .redirectErrorStream(true)
            .start();
    List<String> lines = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> job = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(browser.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                  lines.add(line);
                  if (line.startsWith("JOB ")) {
                    UUID id = UUID.fromString(line.substring(4).trim());
                    job.completeAsync(() -> playOrchestrator(id));
                  }
                }
              } catch (java.io.IOException e) {
                lines.add("reader failed: " + e);
              }
            });
    reader.start();
    boolean ended = browser.waitFor(240, TimeUnit.SECONDS);
    if (!ended) {
      browser.destroyForcibly();
    }
    reader.join(5000);
    String output = String.join("\n", lines);
    assertTrue(ended, "the browser script did not finish in 240 s:\n" + output);
    assertEquals(0, browser.exitValue(), "browser script failed:\n" + output);
    job.get(5, TimeUnit.SECONDS);
    assertTrue(lines.contains("SAW running"), output);
    assertTrue(
        lines.stream()
            .anyMatch(
                l ->
                    l.equals(
                        "STAGES stage-content_inversion=succeeded,stage-concept_inversion=succeeded,"
                            + "stage-fusion=succeeded,stage-scoring=succeeded")),
        output);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("SCORES LPIPS 0.1234")), output);
    assertTrue(
        lines.stream().anyMatch(l -> l.startsWith("HISTORY") && l.contains("succeeded")), output);
    assertTrue(lines.contains("DONE"), output);
    assertTrue(Files.size(screenshot) > 10_000, "screenshot kept at " + screenshot);
  }

  /** What the orchestrator and workers would do, slowly enough for the page to show it. */
  private Void playOrchestrator(UUID jobId) {
    try {
      Thread.sleep(500);
      orchestrator.start(jobId);
      Thread.sleep(1500);
      orchestrator.succeed(jobId, TestImages.png(64, 64, 13), new Scores(0.1234, 22.5));
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
