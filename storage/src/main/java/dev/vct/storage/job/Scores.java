package dev.vct.storage.job;

/**
 * Quality scores of a result image.
 *
 * @param lpips LPIPS distance to the source (lower keeps more of the content)
 * @param brisque BRISQUE score of the result (lower is better quality)
 */
public record Scores(double lpips, double brisque) {
  public Scores {
    if (!Double.isFinite(lpips) || !Double.isFinite(brisque)) {
      throw new IllegalArgumentException(
          "scores must be finite numbers, got lpips=" + lpips + " brisque=" + brisque);
    }
  }
}
