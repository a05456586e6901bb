package dev.vct.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.engine.model.Sd1Architecture;
import dev.vct.engine.vct.VctModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ComponentBenchTest {

  @Test
  void tinyNetworksAreTimedPerPhaseWithPeakMemory() {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    ComponentBench bench =
        new ComponentBench(
            Sd1Architecture.TINY,
            1,
            8,
            2,
            true,
            VctModels.DEFAULT_MAX_ATTENTION_SCORES,
            new PrintStream(log, true, StandardCharsets.UTF_8));
    List<Measurement> unet = bench.unet();
    List<Measurement> vae = bench.vae();
    List<Measurement> text = bench.textEncoder();
    assertEquals(
        List.of("forward", "forward+backward"), text.stream().map(Measurement::phase).toList());
    assertEquals(
        List.of("forward", "forward+backward"), unet.stream().map(Measurement::phase).toList());
    assertEquals(
        List.of("encode", "decode", "decode+backward"),
        vae.stream().map(Measurement::phase).toList());
    for (Measurement m : unet) {
      assertEquals(2, m.millis().length);
      assertTrue(m.medianMillis() > 0 && m.minMillis() <= m.medianMillis(), m.line());
      assertTrue(m.peakBytes() > 50L << 20, "libtorch alone is more than 50 MB: " + m.line());
    }
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("unet: built with random weights"));
  }

  @Test
  void unetRunsWithItsAttentionSlicedAsTheStagesSliceIt() {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    // 64 queries x 64 keys x 8 heads per call at 8x8 latents: a 4096-score limit cuts 8 slices
    ComponentBench bench =
        new ComponentBench(
            Sd1Architecture.TINY,
            1,
            8,
            1,
            true,
            4096,
            new PrintStream(log, true, StandardCharsets.UTF_8));
    List<Measurement> unet = bench.unet();
    assertEquals(
        List.of("forward", "forward+backward"), unet.stream().map(Measurement::phase).toList());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new ComponentBench(
                    Sd1Architecture.TINY,
                    1,
                    8,
                    1,
                    false,
                    0,
                    new PrintStream(log, true, StandardCharsets.UTF_8))
                .unet());
  }

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    Measurement m = new Measurement("x", new double[] {4, 1, 3, 10}, 0);
    assertEquals(3.5, m.medianMillis());
    assertEquals(1, m.minMillis());
  }

  @Test
  void peakResidentMemoryIsNeverBelowTheResidentSet() {
    ProcessMemory.resetPeak();
    long resident = ProcessMemory.residentBytes();
    long peak = ProcessMemory.peakBytes();
    assertTrue(resident > 0);
    assertTrue(peak >= resident - (4L << 20), peak + " vs " + resident);
  }
}
