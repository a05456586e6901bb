package dev.vct.engine.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * How many intra-op threads libtorch uses in this process, chosen once from the work of one UNet
 * call.
 *
 * <p>Each libtorch operator splits its work over the intra-op threads, and every split costs a
 * wake-up of the sleeping threads ({@code OMP_WAIT_POLICY=passive}, which keeps idle threads off a
 * shared CPU). On a small model the operators are so short that the wake-ups cost more than the
 * arithmetic they share: the tiny test pipeline ran about 4x slower on two passive threads than on
 * one. On a model of Stable Diffusion's size each operator is long and more threads pay. The rule:
 * one thread when {@code UNet weights x latent pixels x batch} of a UNet call is below {@value
 * #PARALLEL_WORK} (the tiny model at any resolution up to 1024 px), otherwise every core ({@value
 * #CORES_ENV}, else the processors the JVM sees).
 *
 * <p>{@value #ENV}{@code =N} sets N threads whatever the work; {@code auto} (or unset) applies the
 * rule. libtorch keeps the count per thread once a thread has computed, so the count is set once
 * per process, before the stages' threads start computing: when the model is loaded ({@link
 * StableDiffusionModel#load}) or a benchmark builds its networks. Later calls keep the first
 * choice.
 */
public final class EngineThreads {
  /** Environment variable: {@code auto} (the rule, the default) or a thread count. */
  public static final String ENV = "VCT_ENGINE_THREADS";

  /** Environment variable: the cores this process may use (default: the JVM's processors). */
  public static final String CORES_ENV = "VCT_ENGINE_CORES";

  /** Weights x latent pixels x batch of a UNet call from which every core is used. */
  public static final double PARALLEL_WORK = 5e10;

  private static final System.Logger LOG = System.getLogger(EngineThreads.class.getName());

  private static Choice chosen;

  private EngineThreads() {}

  /** The size of one UNet call: its weight count, the latent's pixels and the batch. */
  public record Workload(long unetWeights, long latentPixels, int batch) {
    public Workload {
      if (unetWeights <= 0 || latentPixels <= 0 || batch <= 0) {
        throw new IllegalArgumentException(
            "a workload needs positive weights, latent pixels and batch, got "
                + unetWeights
                + ", "
                + latentPixels
                + ", "
                + batch);
      }
    }

    /** Weights x latent pixels x batch, the measure the rule compares with PARALLEL_WORK. */
    public double work() {
      return (double) unetWeights * latentPixels * batch;
    }
  }

  /** A thread count and why it was chosen (for the log). */
  public record Choice(int threads, String reason) {}

  /**
   * The rule, without side effects.
   *
   * @param workload one UNet call of the process
   * @param environment where {@value #ENV} and {@value #CORES_ENV} are looked up
   * @param processors the processors the JVM sees
   */
  public static Choice choose(Workload workload, Map<String, String> environment, int processors) {
    String threads = setting(environment, ENV);
    if (!threads.isEmpty() && !threads.equals("auto")) {
      return new Choice(positive(ENV, threads), ENV + "=" + threads);
    }
    String coresSetting = setting(environment, CORES_ENV);
    int cores = coresSetting.isEmpty() ? processors : positive(CORES_ENV, coresSetting);
    String work =
        String.format(
            Locale.ROOT,
            "UNet weights x latent pixels x batch = %.1e %s %.0e",
            workload.work(),
            workload.work() < PARALLEL_WORK ? "<" : ">=",
            PARALLEL_WORK);
    if (workload.work() < PARALLEL_WORK) {
      return new Choice(1, work + ": one thread (more would only add wake-ups)");
    }
    return new Choice(
        cores,
        work
            + ": every core ("
            + (coresSetting.isEmpty() ? "processors" : CORES_ENV)
            + "="
            + cores
            + ")");
  }

  /**
   * Applies the rule to libtorch once per process and returns the choice in force (the first one's
   * when called again).
   */
  public static Choice configure(Workload workload) {
    return configure(() -> workload);
  }

  /**
   * {@link #configure(Workload)} with the workload computed only when no choice is in force yet (a
   * model loaded again in the same process does not size its UNet again).
   */
  public static synchronized Choice configure(Supplier<Workload> workload) {
    if (chosen == null) {
      Choice choice =
          choose(workload.get(), System.getenv(), Runtime.getRuntime().availableProcessors());
      Engine.getEngine("PyTorch"); // loads libtorch
      JniUtils.setNumThreads(choice.threads());
      chosen = choice;
      LOG.log(
          System.Logger.Level.INFO,
          "libtorch intra-op threads: " + choice.threads() + " (" + choice.reason() + ")");
    }
    return chosen;
  }

  /** The choice in force, if {@link #configure} ran in this process. */
  public static synchronized Optional<Choice> current() {
    return Optional.ofNullable(chosen);
  }

  /** The intra-op threads libtorch uses on the calling thread. */
  public static int inUse() {
    Engine.getEngine("PyTorch");
    return JniUtils.getNumThreads();
  }

  private static String setting(Map<String, String> environment, String name) {
    String value = environment.get(name);
    return value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
  }

  private static int positive(String name, String value) {
    try {
      int n = Integer.parseInt(value);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        name
            + "="
            + value
            + " is not a thread count: set a positive whole number"
            + (name.equals(ENV) ? ", or auto for the rule (see README, Engine threads)" : ""));
  }
}
