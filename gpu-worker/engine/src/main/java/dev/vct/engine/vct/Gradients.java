package dev.vct.engine.vct;

/**
 * DJL allows one open GradientCollector per process: stages that backpropagate hold this lock
 * around their collector, so a worker may run an inversion on each of several threads.
 */
final class Gradients {
  static final Object LOCK = new Object();

  private Gradients() {}
}
