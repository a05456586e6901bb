package dev.vct.worker.engine;

/**
 * Which executors an application built on this module runs, fixed when it is built: the engine's
 * (this package, the default) or the simulated ones of the job system's test fixture, whose
 * application sets {@value #BUILD_PROPERTY}{@code =simulated}. The engine beans are left out of
 * such a build, so one application never has two executors for a stage.
 */
public final class EngineExecutors {
  /** The build-time property that chooses the executors. */
  public static final String BUILD_PROPERTY = "vct.stage-executors";

  /** Its value for the engine's executors, also what a build without the property gets. */
  public static final String ENGINE = "engine";

  private EngineExecutors() {}
}
