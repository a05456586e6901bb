package dev.vct.worker.simulated;

import dev.vct.storage.event.BlobRole;
import dev.vct.storage.event.StageRequest;
import dev.vct.worker.stage.StageContext;
import dev.vct.worker.stage.StageExecutor;
import dev.vct.worker.stage.StageResult;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * A stage that stands in for the engine: {@code simulate.steps} steps of {@code simulate.step-ms}
 * each (request parameters, defaults 20 and 0; {@code simulate.<stage>.steps} and {@code
 * simulate.<stage>.step-ms}, e.g. {@code simulate.fusion.steps}, override them for one stage;
 * without them the worker's settings {@code vct.simulate.<stage>.steps} and so on, e.g. {@code
 * VCT_SIMULATE_CONCEPT_INVERSION_STEP_MS}, give the job's values: a job sent through the gateway,
 * which accepts only the real knobs, can carry none), whose state is one number that every step
 * changes, so a result depends on every step having run exactly once, in order. It checkpoints and
 * resumes through the worker's context like a real inversion; a resumed run ends with the same
 * number as an uninterrupted one. Its outputs hold that number as text.
 */
abstract class SimulatedStage implements StageExecutor {

  @Override
  public StageResult run(StageRequest request, StageContext context) {
    String own = "simulate." + request.stage().code() + ".";
    int steps =
        intParameter(
            request,
            own + "steps",
            intParameter(request, "simulate.steps", setting(request, "steps", 20)));
    long stepMillis =
        intParameter(
            request,
            own + "step-ms",
            intParameter(request, "simulate.step-ms", setting(request, "step-ms", 0)));
    int step = 0;
    // Seeded like the engine: the same seed and stage give the same result in any stage run.
    long state = request.seed() * 31 + request.stage().ordinal();
    if (context.resumeFrom().isPresent()) {
      step = context.resumeFrom().get().step();
      state = ByteBuffer.wrap(context.loadCheckpoint(context.resumeFrom().get())).getLong();
    }
    while (step < steps) {
      state = next(state, step);
      sleep(stepMillis);
      step++;
      long saved = state;
      context.stepCompleted(
          step, steps, () -> ByteBuffer.allocate(Long.BYTES).putLong(saved).array());
    }
    Map<BlobRole, String> outputs = new HashMap<>();
    byte[] result = Long.toString(state).getBytes(StandardCharsets.UTF_8);
    request
        .outputKeys()
        .forEach(
            (role, key) -> {
              context
                  .blobs()
                  .put(key, new ByteArrayInputStream(result), result.length, "text/plain");
              outputs.put(role, key);
            });
    return new StageResult(outputs, metrics(state));
  }

  /** What the stage reports besides its outputs: shapes for inversions, scores for scoring. */
  abstract Map<String, Double> metrics(long state);

  /** One step: a 64-bit mix of the state and the step number (SplitMix64's finalizer). */
  static long next(long state, int step) {
    long z = state + 0x9E3779B97F4A7C15L * (step + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The worker's {@code vct.simulate.<stage>.<name>}, else {@code vct.simulate.<name>}. */
  private static int setting(StageRequest request, String name, int fallback) {
    Config config = ConfigProvider.getConfig();
    return config
        .getOptionalValue("vct.simulate." + request.stage().code() + "." + name, Integer.class)
        .or(() -> config.getOptionalValue("vct.simulate." + name, Integer.class))
        .orElse(fallback);
  }

  private static int intParameter(StageRequest request, String name, int fallback) {
    Object value = request.parameters().get(name);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number number) {
      return number.intValue();
    }
    throw new IllegalArgumentException("parameter " + name + " must be a number, got " + value);
  }

  private static void sleep(long millis) {
    if (millis <= 0) {
      return;
    }
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
