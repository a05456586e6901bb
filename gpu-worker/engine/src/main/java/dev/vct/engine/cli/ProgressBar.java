package dev.vct.engine.cli;

import dev.vct.engine.vct.ProgressListener;
import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on a terminal stream: {@code label [##### ] 12/50 loss 0.1234}. */
final class ProgressBar implements ProgressListener {
  private static final int WIDTH = 30;
  private final String label;
  private final PrintStream err;

  ProgressBar(String label, PrintStream err) {
    this.label = label;
    this.err = err;
  }

  @Override
  public void stepCompleted(int step, int totalSteps, double loss) {
    int filled = totalSteps == 0 ? WIDTH : (int) ((long) WIDTH * step / totalSteps);
    String bar = "#".repeat(filled) + " ".repeat(WIDTH - filled);
    String lossText = Double.isNaN(loss) ? "" : String.format(Locale.ROOT, " loss %.5f", loss);
    err.printf(Locale.ROOT, "\r%-18s [%s] %d/%d%s", label, bar, step, totalSteps, lossText);
    if (step == totalSteps) {
      err.println();
    }
    err.flush();
  }
}
