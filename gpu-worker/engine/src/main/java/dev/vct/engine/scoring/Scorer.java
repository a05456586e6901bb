package dev.vct.engine.scoring;

import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.ImageReadException;
import dev.vct.inputs.image.RgbImage;
import java.nio.file.Path;

/**
 * Scores a translation result against its source: LPIPS(source, result) and BRISQUE(result). The
 * models are loaded once, when the scorer is opened, and held until it is closed.
 *
 * <p>LPIPS compares pixel by pixel, so the source must have the result's size: pass the source as
 * the translation saw it (after its crop and resize), not the original upload. A size mismatch is
 * refused rather than silently resampled.
 *
 * <p>Safe to share between threads: LPIPS calls run independently, BRISQUE calls take turns on the
 * one native OpenCV model.
 */
public final class Scorer implements AutoCloseable {

  /** Both pictures need at least this many pixels per side (LPIPS' AlexNet). */
  public static final int MIN_SIDE = Math.max(Lpips.MIN_SIDE, Brisque.MIN_SIDE);

  private final Lpips lpips;
  private final Brisque brisque;
  private final WeightFile lpipsWeights;
  private final WeightFile brisqueModel;
  private final WeightFile brisqueRange;

  private Scorer(
      Lpips lpips,
      Brisque brisque,
      WeightFile lpipsWeights,
      WeightFile brisqueModel,
      WeightFile brisqueRange) {
    this.lpips = lpips;
    this.brisque = brisque;
    this.lpipsWeights = lpipsWeights;
    this.brisqueModel = brisqueModel;
    this.brisqueRange = brisqueRange;
  }

  /** Loads both models; fails with {@link ModelFileException} when a file is unusable. */
  public static Scorer open(ScoringModels models) {
    Lpips lpips = Lpips.load(models.lpipsWeights());
    try {
      Brisque brisque = Brisque.load(models.brisqueModel(), models.brisqueRange());
      return new Scorer(
          lpips,
          brisque,
          WeightFile.of(models.lpipsWeights()),
          WeightFile.of(models.brisqueModel()),
          WeightFile.of(models.brisqueRange()));
    } catch (RuntimeException e) {
      lpips.close();
      throw e;
    }
  }

  /** Reads both files (PNG or JPEG) and scores them. */
  public Scores score(Path source, Path result) throws ImageReadException {
    return score(ImageFiles.read(source), ImageFiles.read(result));
  }

  /**
   * LPIPS(source, result) and BRISQUE(result).
   *
   * @throws IllegalArgumentException when the sizes differ or a side is below {@link #MIN_SIDE}
   */
  public Scores score(RgbImage source, RgbImage result) {
    if (source.width() != result.width() || source.height() != result.height()) {
      throw new IllegalArgumentException(
          "the source is "
              + source.size()
              + " but the result is "
              + result.size()
              + "; LPIPS needs both at the same size: score against the source as the"
              + " translation saw it (cropped and resized to the result's size)");
    }
    if (result.width() < MIN_SIDE || result.height() < MIN_SIDE) {
      throw new IllegalArgumentException(
          "scoring needs pictures of at least "
              + MIN_SIDE
              + "x"
              + MIN_SIDE
              + " pixels, got "
              + result.size());
    }
    double distance = lpips.distance(source, result).distance();
    double quality = brisque.score(result);
    return new Scores(distance, quality, lpipsWeights, brisqueModel, brisqueRange);
  }

  @Override
  public void close() {
    try {
      brisque.close();
    } finally {
      lpips.close();
    }
  }
}
