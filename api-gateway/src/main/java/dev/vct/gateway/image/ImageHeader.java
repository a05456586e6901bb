package dev.vct.gateway.image;

/** What the header of an image says, read without decoding any pixel data. */
public record ImageHeader(ImageFormat format, int width, int height) {
  public long pixels() {
    return (long) width * height;
  }
}
