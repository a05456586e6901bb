package dev.vct.engine.vct;

/** Told after every completed step of a stage. Called on the stage's own thread. */
@FunctionalInterface
public interface ProgressListener {

  /** Ignores progress. */
  ProgressListener NONE = (step, totalSteps, loss) -> {};

  /**
   * @param step steps completed so far (1..totalSteps)
   * @param totalSteps steps of the whole stage
   * @param loss the step's loss, or NaN for steps without one
   */
  void stepCompleted(int step, int totalSteps, double loss);
}
