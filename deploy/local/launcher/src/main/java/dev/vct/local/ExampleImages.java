package dev.vct.local;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Two small PNGs for the printed curl example, so it works as printed on a fresh machine. */
final class ExampleImages {

  private ExampleImages() {}

  /** Writes {@code source.png} (a disc) and {@code reference.png} (stripes) unless present. */
  static void ensure(Path dir) {
    try {
      Files.createDirectories(dir);
      Path source = dir.resolve("source.png");
      if (!Files.isRegularFile(source)) {
        BufferedImage image = new BufferedImage(128, 128, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(230, 230, 210));
        g.fillRect(0, 0, 128, 128);
        g.setColor(new Color(200, 60, 40));
        g.fillOval(24, 24, 80, 80);
        g.dispose();
        ImageIO.write(image, "png", source.toFile());
      }
      Path reference = dir.resolve("reference.png");
      if (!Files.isRegularFile(reference)) {
        BufferedImage image = new BufferedImage(128, 128, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        for (int x = 0; x < 128; x += 16) {
          g.setColor(x % 32 == 0 ? new Color(30, 60, 160) : new Color(240, 200, 40));
          g.fillRect(x, 0, 16, 128);
        }
        g.dispose();
        ImageIO.write(image, "png", reference.toFile());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the example images to " + dir, e);
    }
  }
}
