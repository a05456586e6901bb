package dev.vct.engine.scoring;

import dev.vct.inputs.image.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_quality.QualityBRISQUE;

/**
 * BRISQUE (no-reference image quality; lower is better) computed by OpenCV's own contrib quality
 * module through JavaCPP, so features and scores are OpenCV's: grayscale conversion of the 8-bit
 * BGR picture, MSCN coefficients, GGD/AGGD fits, paired products, two scales, range scaling and the
 * RBF-SVR of {@code brisque_model_live.yml} / {@code brisque_range_live.yml}.
 *
 * <p>The loaded model is a native object: close it. {@link #score} is synchronized because OpenCV's
 * {@code QualityBRISQUE} keeps per-call state.
 */
public final class Brisque implements AutoCloseable {

  /** The number of features: 18 per scale, 2 scales. */
  public static final int FEATURES = 36;

  /** OpenCV halves the picture for the second scale; a side of 1 would halve to nothing. */
  public static final int MIN_SIDE = 2;

  private final QualityBRISQUE model;

  private Brisque(QualityBRISQUE model) {
    this.model = model;
  }

  /**
   * Loads the SVR model and the feature ranges, OpenCV contrib's {@code
   * modules/quality/samples/brisque_model_live.yml} and {@code brisque_range_live.yml}.
   */
  public static Brisque load(Path modelFile, Path rangeFile) {
    for (Path file : new Path[] {modelFile, rangeFile}) {
      if (!Files.isRegularFile(file)) {
        throw new ModelFileException("BRISQUE model file " + file + " does not exist");
      }
    }
    try {
      return new Brisque(QualityBRISQUE.create(modelFile.toString(), rangeFile.toString()));
    } catch (RuntimeException e) {
      throw new ModelFileException(
          "cannot load the BRISQUE model "
              + modelFile
              + " with range file "
              + rangeFile
              + " (are they OpenCV's brisque_model_live.yml and brisque_range_live.yml?): "
              + openCvReason(e));
    }
  }

  /** The BRISQUE score of the picture, as {@code cv2.quality.QualityBRISQUE_compute} gives it. */
  public synchronized double score(RgbImage image) {
    requireScorable(image);
    try (Mat bgr = toBgrMat(image);
        Scalar result = model.compute(bgr)) {
      double score = result.get(0);
      if (Double.isNaN(score)) {
        throw new IllegalStateException(
            "OpenCV returned NaN as the BRISQUE score of a " + image.size() + " picture");
      }
      return score;
    }
  }

  /** The 36 BRISQUE features, as {@code cv2.quality.QualityBRISQUE_computeFeatures} gives them. */
  public static float[] features(RgbImage image) {
    requireScorable(image);
    try (Mat bgr = toBgrMat(image);
        Mat features = new Mat();
        FloatIndexer values = computeFeatures(bgr, features)) {
      float[] out = new float[FEATURES];
      for (int i = 0; i < FEATURES; i++) {
        out[i] = values.get(0, i);
      }
      return out;
    }
  }

  private static FloatIndexer computeFeatures(Mat bgr, Mat features) {
    QualityBRISQUE.computeFeatures(bgr, features);
    if (features.rows() != 1 || features.cols() != FEATURES) {
      throw new IllegalStateException(
          "OpenCV returned " + features.rows() + "x" + features.cols() + " BRISQUE features");
    }
    return features.createIndexer();
  }

  private static void requireScorable(RgbImage image) {
    if (image.width() < MIN_SIDE || image.height() < MIN_SIDE) {
      throw new IllegalArgumentException(
          "BRISQUE needs a picture of at least "
              + MIN_SIDE
              + "x"
              + MIN_SIDE
              + " pixels, got "
              + image.size());
    }
  }

  private static Mat toBgrMat(RgbImage image) {
    Mat mat = new Mat(image.height(), image.width(), opencv_core.CV_8UC3);
    mat.data().put(image.bgr());
    return mat;
  }

  /** OpenCV's message without its build path: "OpenCV(4.x) /path/file.cpp:123: error: (...)". */
  private static String openCvReason(RuntimeException e) {
    String message = String.valueOf(e.getMessage()).strip();
    int error = message.indexOf("error: ");
    return error >= 0 ? message.substring(error + "error: ".length()) : message;
  }

  @Override
  public void close() {
    model.close();
  }
}
