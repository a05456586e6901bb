package dev.vct.engine.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.ImageReadException;
import dev.vct.inputs.image.RgbImage;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader gives OpenCV's IMREAD_COLOR pixels for every kind of PNG, and clear errors. */
class ImageFilesTest {

  @TempDir Path tmp;

  @Test
  void everyPngKindDecodesToTheSameBgrBytesAsOpenCvImreadColor() throws Exception {
    assertSameAsOpenCv("rgb8", TestImages.png(TestImages.rgb(37, 23, 1)));
    assertSameAsOpenCv("rgba8", TestImages.png(TestImages.rgba(37, 23, 2)));
    assertSameAsOpenCv("gray8", TestImages.png(TestImages.gray8(37, 23, 3)));
    assertSameAsOpenCv("gray1", TestImages.png(TestImages.gray1(37, 23, 4)));
    assertSameAsOpenCv("gray16", TestImages.png(TestImages.gray16(37, 23, 5)));
    assertSameAsOpenCv("rgb16", TestImages.png(TestImages.rgb16(37, 23, 6, false)));
    assertSameAsOpenCv("rgba16", TestImages.png(TestImages.rgb16(37, 23, 7, true)));
    assertSameAsOpenCv("palette+tRNS", TestImages.png(TestImages.palette(37, 23, 8)));
    assertSameAsOpenCv("1x1", TestImages.png(TestImages.rgb(1, 1, 9)));
  }

  @Test
  void jpegDecodesToTheSameBgrBytesAsOpenCvImreadColor() throws Exception {
    assertSameAsOpenCv("jpeg q90", TestImages.jpeg(TestImages.rgb(64, 48, 10), 0.9f));
    assertSameAsOpenCv("jpeg q30", TestImages.jpeg(TestImages.rgb(61, 47, 11), 0.3f));
    assertSameAsOpenCv("gray jpeg", TestImages.jpeg(TestImages.gray8(40, 40, 12), 0.8f));
  }

  @Test
  void sixteenBitSamplesKeepTheirHighByteAndAlphaIsDroppedNotBlended() throws Exception {
    BufferedImage source = TestImages.rgb16(5, 4, 13, true);
    RgbImage image = ImageFiles.decode(TestImages.png(source), "rgba16.png");
    int[] rgba = source.getRaster().getPixel(3, 2, (int[]) null);
    assertEquals(rgba[0] >> 8, image.channel(3, 2, 0));
    assertEquals(rgba[1] >> 8, image.channel(3, 2, 1));
    assertEquals(rgba[2] >> 8, image.channel(3, 2, 2));
  }

  @Test
  void grayscaleIsReplicatedIntoThreeChannels() throws Exception {
    BufferedImage gray = TestImages.gray8(6, 5, 14);
    RgbImage image = ImageFiles.decode(TestImages.png(gray), "gray.png");
    int v = gray.getRaster().getSample(4, 3, 0);
    assertEquals(v, image.channel(4, 3, 0));
    assertEquals(v, image.channel(4, 3, 1));
    assertEquals(v, image.channel(4, 3, 2));
  }

  @Test
  void aOnePixelPictureIsReadAsOnePixel() throws Exception {
    RgbImage image = ImageFiles.decode(TestImages.png(TestImages.rgb(1, 1, 15)), "dot.png");
    assertEquals(1, image.width());
    assertEquals(1, image.height());
  }

  @Test
  void truncatedPngAndJpegAreRefusedAsDamaged() {
    byte[] png = TestImages.png(TestImages.rgb(64, 64, 16));
    byte[] jpeg = TestImages.jpeg(TestImages.rgb(64, 64, 17), 0.9f);
    for (int cut : new int[] {9, 40, png.length / 2, png.length - 13}) {
      assertRefused(Arrays.copyOf(png, cut), "cut.png", "PNG");
    }
    for (int cut : new int[] {3, 200, jpeg.length / 2, jpeg.length - 2}) {
      assertRefused(Arrays.copyOf(jpeg, cut), "cut.jpg", "JPEG");
    }
  }

  @Test
  void aPngWithAlteredPixelDataIsRefusedByItsChunkCrc() {
    byte[] png = TestImages.png(TestImages.rgb(64, 64, 20));
    png[png.length / 2] ^= 0x10;
    assertRefused(png, "flipped.png", "CRC of its IDAT chunk does not match");
  }

  @Test
  void emptyZeroSizedHugeAndForeignFilesAreRefusedWithTheReason() throws Exception {
    assertRefused(new byte[0], "empty.png", "is empty (0 bytes)");
    assertRefused(TestImages.pngWithHeaderSize(0, 10), "zero.png", "zero.png");
    assertRefused(TestImages.pngWithHeaderSize(100_000, 100_000), "huge.png", "downscale it");
    assertRefused(
        "hello".getBytes(StandardCharsets.US_ASCII), "notes.txt", "not a PNG or JPEG image");
    assertRefused(
        TestImages.encode(TestImages.rgb(8, 8, 18), "gif"), "anim.gif", "not a PNG or JPEG");
    ImageReadException missing =
        assertThrows(ImageReadException.class, () -> ImageFiles.read(tmp.resolve("gone.png")));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
  }

  @Test
  void readingAFileGivesTheSamePixelsAsDecodingItsBytes() throws Exception {
    byte[] png = TestImages.png(TestImages.rgba(9, 7, 19));
    Path file = Files.write(tmp.resolve("pic.png"), png);
    assertArrayEquals(ImageFiles.decode(png, "pic.png").rgb(), ImageFiles.read(file).rgb());
  }

  private static void assertRefused(byte[] data, String name, String expectedInMessage) {
    ImageReadException e =
        assertThrows(ImageReadException.class, () -> ImageFiles.decode(data, name));
    assertTrue(
        e.getMessage().contains(expectedInMessage) && e.getMessage().contains(name),
        "message should name the file and say '" + expectedInMessage + "': " + e.getMessage());
  }

  private static void assertSameAsOpenCv(String what, byte[] encoded) throws Exception {
    RgbImage ours = ImageFiles.decode(encoded, what);
    try (BytePointer bytes = new BytePointer(encoded);
        Mat buffer = new Mat(1, encoded.length, opencv_core.CV_8UC1, bytes);
        Mat decoded = opencv_imgcodecs.imdecode(buffer, opencv_imgcodecs.IMREAD_COLOR)) {
      assertEquals(ours.height(), decoded.rows(), what);
      assertEquals(ours.width(), decoded.cols(), what);
      assertEquals(opencv_core.CV_8UC3, decoded.type(), what);
      byte[] theirs = new byte[ours.rgb().length];
      decoded.data().get(theirs);
      assertArrayEquals(theirs, ours.bgr(), what + ": BGR bytes differ from cv2.imdecode");
    }
  }
}
