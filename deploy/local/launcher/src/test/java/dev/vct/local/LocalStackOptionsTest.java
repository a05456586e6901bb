package dev.vct.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalStackOptionsTest {

  @Test
  void defaultsToFreePortsAndTheDotVctDataDirectory() {
    LocalStack.Options options = LocalStack.Options.parse(new String[0], Map.of());
    assertEquals(
        new LocalStack.Options(Path.of(".vct/data"), 0, 0, 0, 1, null, 0, false, false), options);
  }

  @Test
  void flagsWinOverEnvironmentVariables() {
    LocalStack.Options options =
        LocalStack.Options.parse(
            new String[] {"--kafka-port", "19092", "--s3-port=19000", "--data-dir", "/srv/vct"},
            Map.of("VCT_KAFKA_PORT", "9092", "VCT_POSTGRES_PORT", "15432", "VCT_DATA_DIR", "/x"));
    assertEquals(
        new LocalStack.Options(Path.of("/srv/vct"), 15432, 19092, 19000, 1, null, 0, false, false),
        options);
  }

  @Test
  void rejectsBadPortsAndUnknownOptionsNamingThem() {
    IllegalArgumentException badPort =
        assertThrows(
            IllegalArgumentException.class,
            () -> LocalStack.Options.parse(new String[] {"--s3-port", "99999"}, Map.of()));
    assertTrue(badPort.getMessage().contains("--s3-port"), badPort.getMessage());
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () -> LocalStack.Options.parse(new String[] {"--kafka"}, Map.of()));
    assertTrue(unknown.getMessage().contains("'--kafka'"), unknown.getMessage());
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> LocalStack.Options.parse(new String[] {"--data-dir"}, Map.of()));
    assertTrue(missing.getMessage().contains("needs a value"), missing.getMessage());
  }

  @Test
  void readsWorkersModelAndGatewayPortFromFlagsOrEnvironment() {
    LocalStack.Options options =
        LocalStack.Options.parse(
            new String[] {"--workers", "2", "--port=9090"},
            Map.of("VCT_MODEL_PATH", "/models/sd15", "VCT_WORKERS", "5"));
    assertEquals(2, options.workers());
    assertEquals(Path.of("/models/sd15"), options.model());
    assertEquals(9090, options.port());
    IllegalArgumentException noWorkers =
        assertThrows(
            IllegalArgumentException.class,
            () -> LocalStack.Options.parse(new String[] {"--workers", "0"}, Map.of()));
    assertTrue(noWorkers.getMessage().contains("--workers"), noWorkers.getMessage());
  }

  @Test
  void welcomeShowsAKeyedCurlExampleForTheGateway() {
    String text = LocalStack.welcome("http://localhost:8080", "vct_k", Path.of("/e"));
    assertTrue(text.contains("Bearer vct_k"), text);
    assertTrue(text.contains("-F source=@/e/source.png"), text);
    assertTrue(text.contains("http://localhost:8080/v1/translations"), text);
    assertTrue(text.contains("\"concept_steps\":4"), text);
  }

  @Test
  void generatesTheApiKeyOnceAndKeepsIt(@org.junit.jupiter.api.io.TempDir Path home) {
    String first = LocalStack.apiKey(home, Map.of());
    assertTrue(first.length() >= 32, first);
    assertEquals(first, LocalStack.apiKey(home, Map.of()));
    assertEquals(
        "given-key", LocalStack.apiKey(home, Map.of("VCT_BOOTSTRAP_API_KEY", "given-key")));
  }

  @Test
  void workerStopGraceCoversTheDrainTimeoutAsTheWorkersReadIt() {
    assertEquals(Duration.ofSeconds(60), LocalStack.drainTimeout(LocalStack.WORKER_DRAIN_TIMEOUT));
    assertEquals(Duration.ofSeconds(90), LocalStack.drainTimeout("90"));
    assertEquals(Duration.ofMillis(500), LocalStack.drainTimeout("500ms"));
    assertEquals(Duration.ofMinutes(2), LocalStack.drainTimeout("2m"));
    assertEquals(Duration.ofMinutes(1), LocalStack.drainTimeout("PT1M"));
    assertTrue(LocalStack.WORKER_STOP_MARGIN.compareTo(Duration.ofSeconds(15)) >= 0);
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> LocalStack.drainTimeout("soon"));
    assertTrue(bad.getMessage().contains("VCT_WORKER_DRAIN_TIMEOUT"), bad.getMessage());
  }
}
