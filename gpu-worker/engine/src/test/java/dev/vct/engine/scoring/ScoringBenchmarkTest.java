package dev.vct.engine.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoringBenchmarkTest {

  @TempDir Path tmp;

  @Test
  void timesLoadingLpipsBrisqueAndTheWholeScoreOnASyntheticPair() throws Exception {
    Path[] brisque = ScoringTestFiles.brisqueModelFiles(tmp);
    Map<String, String> env =
        Map.of(
            "VCT_LPIPS_WEIGHTS", ScoringTestFiles.randomLpipsWeights(tmp, 9).toString(),
            "VCT_BRISQUE_MODEL", brisque[0].toString(),
            "VCT_BRISQUE_RANGE", brisque[1].toString());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      assertEquals(0, ScoringBenchmark.run(List.of("--size", "48", "--runs", "2"), out, env));
    }
    String report = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(report.contains("synthetic 48x48 pair"), report);
    for (String line :
        List.of("load lpips", "load brisque", "lpips ", "brisque ", "score (both)")) {
      assertTrue(report.lines().anyMatch(l -> l.startsWith(line) && l.contains(" ms")), report);
    }
  }
}
