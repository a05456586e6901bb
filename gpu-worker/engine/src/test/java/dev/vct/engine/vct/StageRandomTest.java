package dev.vct.engine.vct;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StageRandomTest {

  @Test
  void restoredGeneratorContinuesTheSameSequence() {
    StageRandom a = new StageRandom(42);
    a.normals(7);
    a.nextInt(1000);
    StageRandom b = StageRandom.restore(a.seed(), a.counter());
    assertArrayEquals(a.normals(5), b.normals(5));
    assertEquals(a.nextInt(1000), b.nextInt(1000));
    assertEquals(a.nextBoolean(0.5), b.nextBoolean(0.5));
  }

  @Test
  void rewoundGeneratorDrawsTheSameValuesAgain() {
    StageRandom r = new StageRandom(42);
    r.nextInt(10);
    long start = r.counter();
    float[] first = r.normals(6);
    int timestep = r.nextInt(1000);
    r.rewind(start);
    assertArrayEquals(first, r.normals(6));
    assertEquals(timestep, r.nextInt(1000));
    assertThrows(IllegalArgumentException.class, () -> r.rewind(r.counter() + 1));
  }

  @Test
  void drawsHaveTheirDistributions() {
    StageRandom r = new StageRandom(1);
    float[] z = r.normals(200_000);
    double mean = 0;
    double square = 0;
    for (float v : z) {
      mean += v;
      square += v * v;
    }
    mean /= z.length;
    double variance = square / z.length - mean * mean;
    assertEquals(0, mean, 0.01);
    assertEquals(1, variance, 0.02);
    int[] counts = new int[10];
    int heads = 0;
    for (int i = 0; i < 100_000; i++) {
      counts[r.nextInt(10)]++;
      heads += r.nextBoolean(0.5) ? 1 : 0;
    }
    for (int c : counts) {
      assertTrue(Math.abs(c - 10_000) < 500, "uniform integers: " + c);
    }
    assertEquals(50_000, heads, 600);
  }

  @Test
  void seedsGiveDifferentStreams() {
    assertTrue(new StageRandom(1).nextLong() != new StageRandom(2).nextLong());
  }
}
