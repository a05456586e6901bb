package dev.vct.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vct.engine.vct.VctImages;
import dev.vct.inputs.Knob;
import dev.vct.inputs.image.ImageSamples;
import dev.vct.inputs.image.RgbImage;
import dev.vct.storage.blob.FilesystemBlobStore;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every picture the gateway accepts in its bad-input suite (the shared {@link ImageSamples}, which
 * BadInputTest submits and expects 202 for, and the largest picture LargeUploadsTest gets accepted)
 * is read from a blob by the worker's own reader and prepared for content and concept inversion at
 * the smallest, default and largest resolution: no accepted job fails on its images.
 */
class AcceptedImagesReachTheWorkerTest {
  @TempDir static Path root;
  private static FilesystemBlobStore blobs;

  @BeforeAll
  static void store() {
    blobs = new FilesystemBlobStore(root.resolve("blobs"));
  }

  static Stream<ImageSamples.Sample> accepted() {
    return Stream.concat(
        ImageSamples.accepted().stream(),
        Stream.of(
            new ImageSamples.Sample(
                "4096x4096 8-bit RGB PNG (the gateway's largest decode in its tests)",
                ImageSamples.flatRgbPng(4096),
                null)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void theWorkerReadsAndPreparesIt(ImageSamples.Sample sample) {
    String key = "uploads/" + Math.abs(sample.name().hashCode()) + "/source";
    Blobs.write(blobs, key, sample.bytes(), "application/octet-stream");
    RgbImage image = Blobs.readImage(blobs, key);
    for (long resolution : resolutions()) {
      int r = (int) resolution;
      assertEquals(3 * r * r, VctImages.source(image, r).length, sample.name());
      assertEquals(3 * r * r, VctImages.reference(image, r).length, sample.name());
      assertEquals(r, VctImages.preparedSource(image, r).width(), sample.name());
    }
  }

  private static long[] resolutions() {
    var domain = Knob.RESOLUTION.domain();
    return new long[] {
      domain.minimum().longValueExact(),
      ((Number) domain.defaultValue()).longValue(),
      domain.maximum().longValueExact()
    };
  }
}
