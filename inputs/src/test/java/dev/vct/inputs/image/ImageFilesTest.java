package dev.vct.inputs.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared reader's verdicts: every accepted sample decodes, every refused one is refused with
 * its kind of problem and a message naming the file; sizes and decoded bytes are bounded from the
 * header. (Pixel parity with OpenCV is tested in the engine, which has OpenCV.)
 */
class ImageFilesTest {
  static Stream<ImageSamples.Sample> accepted() {
    return ImageSamples.accepted().stream();
  }

  static Stream<ImageSamples.Sample> refused() {
    return ImageSamples.refused().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void decodesEveryAcceptedSample(ImageSamples.Sample sample) throws Exception {
    ImageHeader header = ImageFiles.inspect(sample.bytes(), sample.name(), ImageLimits.WORKER);
    RgbImage image = ImageFiles.decode(sample.bytes(), sample.name());
    assertEquals(header.width(), image.width());
    assertEquals(header.height(), image.height());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusesEveryRefusedSampleWithItsProblem(ImageSamples.Sample sample) {
    ImageReadException e =
        assertThrows(
            ImageReadException.class, () -> ImageFiles.decode(sample.bytes(), "upload.bin"));
    assertEquals(sample.problem(), e.problem(), e.getMessage());
    assertTrue(e.getMessage().startsWith("upload.bin "), e.getMessage());
    assertFalse(e.getMessage().contains("java."), e.getMessage());
  }

  @Test
  void countsSixteenBitSamplesAndTransparencyInTheDecodedBytes() throws Exception {
    ImageHeader rgba16 =
        ImageFiles.inspect(
            ImageSamples.sixteenBitRgbaPng(4096, 4096, false), "big.png", ImageLimits.WORKER);
    assertEquals(4, rgba16.channels());
    assertEquals(16, rgba16.bitsPerSample());
    assertEquals(4096L * 4096 * (4 * 2 + 3), rgba16.decodedBytes());
    ImageHeader rgbWithTrns =
        ImageFiles.inspect(
            ImageSamples.sixteenBitRgbaPng(64, 32, true), "trns.png", ImageLimits.WORKER);
    assertEquals(4, rgbWithTrns.channels(), "a tRNS colour adds an alpha channel");
    ImageHeader flat =
        ImageFiles.inspect(ImageSamples.flatRgbPng(100), "f.png", ImageLimits.WORKER);
    assertEquals(100L * 100 * (3 + 3), flat.decodedBytes());
  }

  @Test
  void refusesDecodedBytesOverTheLimitFromTheHeaderAlone() {
    byte[] big = ImageSamples.sixteenBitRgbaPng(4096, 4096, false);
    assertTrue(big.length < 200_000, "small on the wire: " + big.length);
    ImageLimits limits = new ImageLimits(4096L * 4096, 4096, 128L << 20);
    ImageReadException[] e = new ImageReadException[1];
    long allocated =
        AllocatedBytes.during(
            () ->
                e[0] =
                    assertThrows(
                        ImageReadException.class, () -> ImageFiles.decode(big, "big.png", limits)));
    // far less than the 128 MiB of pixels
    assertTrue(
        allocated < 16L << 20, "refused without decoding, allocated " + allocated + " bytes");
    assertEquals(ImageProblem.TOO_LARGE, e[0].problem());
    assertTrue(
        e[0].getMessage().contains("16 bits") && e[0].getMessage().contains("176 MiB"),
        e[0].getMessage());
    // The same pixels at 8 bits without alpha fit.
    assertEquals(4096, assertDoesNotThrowHeader(ImageSamples.flatRgbPng(4096), limits).width());
  }

  @Test
  void refusesTooManyPixelsOrTooLongASide() {
    ImageLimits limits = new ImageLimits(1000, 50, 1L << 30);
    byte[] wide = ImageSamples.flatRgbPng(60);
    ImageReadException e =
        assertThrows(ImageReadException.class, () -> ImageFiles.inspect(wide, "wide.png", limits));
    assertEquals(ImageProblem.TOO_LARGE, e.problem());
    assertTrue(e.getMessage().contains("60x60"), e.getMessage());
  }

  @Test
  void theWorkerLimitsContainNarrowerOnes() {
    assertTrue(new ImageLimits(16L << 20, 8192, 128L << 20).within(ImageLimits.WORKER));
    assertFalse(new ImageLimits(128L << 20, 8192, 128L << 20).within(ImageLimits.WORKER));
  }

  private static ImageHeader assertDoesNotThrowHeader(byte[] png, ImageLimits limits) {
    try {
      return ImageFiles.inspect(png, "flat.png", limits);
    } catch (ImageReadException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }
}
