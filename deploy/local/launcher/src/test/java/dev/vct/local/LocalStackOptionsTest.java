package dev.vct.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalStackOptionsTest {

  @Test
  void defaultsToFreePortsAndTheDotVctDataDirectory() {
    LocalStack.Options options = LocalStack.Options.parse(new String[0], Map.of());
    assertEquals(new LocalStack.Options(Path.of(".vct/data"), 0, 0, 0, false), options);
  }

  @Test
  void flagsWinOverEnvironmentVariables() {
    LocalStack.Options options =
        LocalStack.Options.parse(
            new String[] {"--kafka-port", "19092", "--s3-port=19000", "--data-dir", "/srv/vct"},
            Map.of("VCT_KAFKA_PORT", "9092", "VCT_POSTGRES_PORT", "15432", "VCT_DATA_DIR", "/x"));
    assertEquals(new LocalStack.Options(Path.of("/srv/vct"), 15432, 19092, 19000, false), options);
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
}
