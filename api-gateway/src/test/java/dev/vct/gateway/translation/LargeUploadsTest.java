package dev.vct.gateway.translation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.gateway.image.ImageInspector;
import dev.vct.gateway.testing.Http;
import dev.vct.gateway.testing.Tenants;
import dev.vct.gateway.testing.TestImages;
import dev.vct.inputs.image.ImageSamples;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Small files that decode to a lot of memory, uploaded ten at a time: the ones whose header says
 * they decode past the per-image limit are refused without a decode, the ones within it are decoded
 * inside the decode budget (one at a time with the test settings), and the gateway stays healthy.
 */
@QuarkusTest
class LargeUploadsTest {
  private static final String PATH = "/v1/translations";
  private static final int UPLOADS = 10;

  @Inject ImageInspector inspector;

  @Test
  void tenSixteenBitRgbaPngsAtOnceAreRefusedFromTheirHeaders() throws Exception {
    byte[] png = ImageSamples.sixteenBitRgbaPng(4096, 4096, false);
    assertTrue(png.length < 200_000, "about 130 KB on the wire: " + png.length);
    String key = Tenants.create("large-rgba16", 100, 10_000).key();
    for (Http.Reply reply : concurrently(key, png)) {
      assertEquals(422, reply.status(), reply.text());
      assertEquals("image_dimensions_too_large", reply.code(), reply.text());
      assertTrue(reply.json().get("message").asText().contains("16 bits"), reply.text());
    }
    assertStillHealthy(key);
  }

  @Test
  void tenLargePicturesAtOnceAreDecodedWithinTheBudget() throws Exception {
    byte[] png = ImageSamples.flatRgbPng(4096); // 96 MiB decoded, the per-image limit
    String key = Tenants.create("large-rgb8", 100, 10_000).key();
    int accepted = 0;
    for (Http.Reply reply : concurrently(key, png)) {
      if (reply.status() == 202) {
        accepted++;
      } else {
        assertEquals(503, reply.status(), reply.text());
        assertEquals("server_busy", reply.code(), reply.text());
        assertTrue(reply.header("Retry-After") != null, "busy says when to retry");
      }
    }
    assertTrue(accepted > 0, "the decodes queue rather than fail");
    long peak = inspector.budget().peakBytes();
    assertTrue(
        peak <= inspector.budget().capacityBytes(),
        "decodes held " + peak + " bytes at once, over the budget");
    assertTrue(peak >= 96L << 20, "a large decode was accounted for: " + peak);
    assertStillHealthy(key);
  }

  private static List<Http.Reply> concurrently(String key, byte[] source) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(UPLOADS);
    try {
      List<Future<Http.Reply>> replies = new ArrayList<>();
      for (int i = 0; i < UPLOADS; i++) {
        int seed = i;
        replies.add(
            pool.submit(
                () ->
                    Http.multipart()
                        .file("source", "large.png", "image/png", source)
                        .file("reference", "r.png", "image/png", TestImages.png(32, 32, seed))
                        .text("params", "{\"concept_steps\": 2, \"resolution\": 64}")
                        .post(PATH, key)));
      }
      List<Http.Reply> out = new ArrayList<>();
      for (Future<Http.Reply> reply : replies) {
        out.add(reply.get(5, TimeUnit.MINUTES));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static void assertStillHealthy(String key) {
    Http.Reply health = Http.get("/q/health/ready", null);
    assertEquals(200, health.status(), health.text());
    Http.Reply works = Http.submission(31).post(PATH, key);
    assertEquals(202, works.status(), works.text());
  }
}
