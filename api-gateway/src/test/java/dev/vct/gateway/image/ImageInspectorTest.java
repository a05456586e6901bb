package dev.vct.gateway.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.gateway.error.ErrorCode;
import dev.vct.gateway.testing.TestImages;
import dev.vct.inputs.image.AllocatedBytes;
import dev.vct.inputs.image.ImageFormat;
import dev.vct.inputs.image.ImageHeader;
import dev.vct.inputs.image.ImageLimits;
import dev.vct.inputs.image.ImageSamples;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ImageInspectorTest {
  private final ImageInspector inspector =
      new ImageInspector(
          1 << 20,
          new ImageLimits(4096L * 4096, 8192, 128L << 20),
          new DecodeBudget(256L << 20, Duration.ofSeconds(5)));

  private ErrorCode rejection(byte[] bytes) {
    return assertThrows(ImageRejection.class, () -> inspector.inspect("source", bytes)).code();
  }

  @Test
  void acceptsPngAndJpegAndReadsTheirDimensions() {
    InspectedImage png = inspector.inspect("source", TestImages.png(40, 30, 1));
    assertEquals(new ImageHeader(ImageFormat.PNG, 40, 30, 3, 8), png.header());
    assertEquals(64, png.sha256().length());
    InspectedImage jpeg = inspector.inspect("reference", TestImages.jpeg(33, 17, 2));
    assertEquals(new ImageHeader(ImageFormat.JPEG, 33, 17, 3, 8), jpeg.header());
  }

  @Test
  void refusesAPngBombFromItsHeaderWithoutInflatingIt() {
    byte[] bomb = TestImages.pngBomb(20000);
    assertTrue(bomb.length < 200_000, "the bomb is small on the wire: " + bomb.length);
    long allocated =
        AllocatedBytes.during(
            () -> assertEquals(ErrorCode.IMAGE_DIMENSIONS_TOO_LARGE, rejection(bomb)));
    // 20000 x 20000 pixels would be over a gigabyte
    assertTrue(
        allocated < 16L << 20, "refused without decoding, allocated " + allocated + " bytes");
  }

  @Test
  void refusesHugeDimensionsInAHeaderThatHasNoData() {
    assertEquals(
        ErrorCode.IMAGE_DIMENSIONS_TOO_LARGE,
        rejection(TestImages.pngHeaderOnly(100_000, 100_000)));
    assertEquals(
        ErrorCode.IMAGE_DIMENSIONS_TOO_LARGE, rejection(TestImages.jpegHeaderOnly(60000, 60000)));
  }

  @Test
  void refusesAValidHeaderWhoseDataDoesNotDecode() {
    assertEquals(ErrorCode.CORRUPT_IMAGE, rejection(TestImages.pngHeaderOnly(64, 64)));
    assertEquals(ErrorCode.CORRUPT_IMAGE, rejection(TestImages.jpegHeaderOnly(64, 64)));
  }

  @Test
  void tellsTruncatedFilesFromCorruptOnes() {
    byte[] png = TestImages.png(64, 64, 3);
    assertEquals(ErrorCode.TRUNCATED_IMAGE, rejection(TestImages.cut(png, png.length / 2)));
    assertEquals(ErrorCode.TRUNCATED_IMAGE, rejection(TestImages.cut(png, 20)));
    assertEquals(ErrorCode.CORRUPT_IMAGE, rejection(TestImages.flip(png, png.length / 2)));
    byte[] jpeg = TestImages.jpeg(64, 64, 3);
    assertEquals(ErrorCode.TRUNCATED_IMAGE, rejection(TestImages.cut(jpeg, jpeg.length - 40)));
    assertEquals(ErrorCode.CORRUPT_IMAGE, rejection(TestImages.fakeJpeg()));
  }

  @Test
  void decidesTheFormatByContentNotByName() {
    assertEquals(
        ErrorCode.UNSUPPORTED_IMAGE_FORMAT,
        rejection("hello, I am a text file".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(
        ErrorCode.UNSUPPORTED_IMAGE_FORMAT,
        rejection("RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(
        ErrorCode.UNSUPPORTED_IMAGE_FORMAT,
        rejection("GIF89a".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void refusesEmptyAndOversizedFiles() {
    assertEquals(ErrorCode.EMPTY_IMAGE, rejection(new byte[0]));
    assertEquals(ErrorCode.IMAGE_TOO_LARGE, rejection(new byte[(1 << 20) + 1]));
  }

  @Test
  void refusesZeroDimensions() {
    assertEquals(
        ErrorCode.CORRUPT_IMAGE,
        rejection(TestImages.pngFile(TestImages.ihdr(0, 10, 8, 2), new byte[] {1})));
  }

  @Test
  void messagesNameTheFieldAndTheLimit() {
    ImageRejection e =
        assertThrows(
            ImageRejection.class, () -> inspector.inspect("reference", TestImages.pngBomb(20000)));
    assertTrue(e.getMessage().contains("'reference'"), e.getMessage());
    assertTrue(e.getMessage().contains("20000x20000"), e.getMessage());
  }

  @Test
  void refusesASixteenBitRgbaPngByItsDecodedBytesNotOnlyItsPixels() {
    byte[] big = ImageSamples.sixteenBitRgbaPng(4096, 4096, false);
    ImageRejection e = assertThrows(ImageRejection.class, () -> inspector.inspect("source", big));
    assertEquals(ErrorCode.IMAGE_DIMENSIONS_TOO_LARGE, e.code());
    assertTrue(e.getMessage().startsWith("Image 'source' is 4096x4096"), e.getMessage());
    assertTrue(e.getMessage().contains("MiB"), e.getMessage());
    assertEquals(0, inspector.budget().peakBytes(), "refused before any decode");
  }

  @Test
  void mapsEveryProblemOfTheSharedSamplesToItsCode() {
    for (ImageSamples.Sample sample : ImageSamples.refused()) {
      if (sample.bytes().length == 0) {
        continue; // the gateway's own check, tested above
      }
      ImageRejection e =
          assertThrows(
              ImageRejection.class,
              () -> inspector.inspect("source", sample.bytes()),
              sample.name());
      assertEquals(ImageInspector.code(sample.problem()), e.code(), sample.name());
      assertTrue(e.getMessage().startsWith("Image 'source' "), e.getMessage());
    }
    for (ImageSamples.Sample sample : ImageSamples.accepted()) {
      assertEquals(64, inspector.inspect("source", sample.bytes()).sha256().length());
    }
  }
}
