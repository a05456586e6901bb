package dev.vct.worker.engine;

import dev.vct.engine.scoring.ModelFileException;
import dev.vct.engine.scoring.Scorer;
import dev.vct.engine.scoring.ScoringModels;
import dev.vct.engine.vct.VctModels;
import dev.vct.storage.event.StageRequest;
import dev.vct.worker.stage.StageException;
import io.quarkus.arc.properties.IfBuildProperty;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The engine's models, each loaded once on first use (the executors' warm-up, before the worker
 * takes requests) and kept resident until shutdown. Only what the served stages need is loaded.
 */
@ApplicationScoped
@IfBuildProperty(
    name = EngineExecutors.BUILD_PROPERTY,
    stringValue = EngineExecutors.ENGINE,
    enableIfMissing = true)
public class EngineModels {
  private static final Logger LOG = Logger.getLogger(EngineModels.class);

  @Inject ModelConfig model;
  @Inject LpipsConfig lpips;
  @Inject BrisqueConfig brisque;

  private Scorer scorer;
  private VctModels vct;

  /**
   * The Stable Diffusion checkpoint of the VCT stages, loaded from vct.model.path. The stages share
   * it ({@link VctModels} serialises UNet calls).
   */
  public synchronized VctModels vct() {
    if (vct == null) {
      Path dir =
          model
              .path()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "this worker serves a VCT stage but vct.model.path (VCT_MODEL_PATH) is"
                              + " not set; point it at a Stable Diffusion 1.x checkpoint in the"
                              + " diffusers folder layout, or at a tiny test model from"
                              + " ./vct init-tiny DIR"));
      if (!Files.isDirectory(dir)) {
        throw new IllegalStateException(
            "vct.model.path (VCT_MODEL_PATH) is " + dir + ", which is not a directory");
      }
      long started = System.nanoTime();
      vct = VctModels.load(dir);
      LOG.infof(
          "model '%s' loaded from %s in %d ms",
          model.id(), dir, (System.nanoTime() - started) / 1_000_000);
    }
    return vct;
  }

  /** LPIPS and BRISQUE, loaded from vct.lpips.weights, vct.brisque.model, vct.brisque.range. */
  public synchronized Scorer scorer() {
    if (scorer == null) {
      Map<String, String> settings = new HashMap<>();
      put(settings, ScoringModels.Setting.LPIPS_WEIGHTS, lpips.weights());
      put(settings, ScoringModels.Setting.BRISQUE_MODEL, brisque.model());
      put(settings, ScoringModels.Setting.BRISQUE_RANGE, brisque.range());
      ScoringModels files;
      try {
        files = ScoringModels.resolve(Map.of(), settings);
      } catch (ModelFileException e) {
        throw new IllegalStateException(
            "this worker serves scoring but its model files are not usable (set the properties"
                + " vct.lpips.weights, vct.brisque.model and vct.brisque.range, or the"
                + " environment variables below):\n"
                + e.getMessage(),
            e);
      }
      long started = System.nanoTime();
      scorer = Scorer.open(files);
      LOG.infof(
          "scoring models loaded in %d ms: %s, %s, %s",
          (System.nanoTime() - started) / 1_000_000,
          files.lpipsWeights(),
          files.brisqueModel(),
          files.brisqueRange());
    }
    return scorer;
  }

  /**
   * Refuses a request for another model than this worker's: its result would be catalogued under
   * the wrong model and reused by later jobs.
   */
  public void requireModel(StageRequest request) {
    if (!request.modelId().equals(model.id())) {
      throw new StageException(
          "MODEL_MISMATCH",
          "the job asks for model '"
              + request.modelId()
              + "' but this worker runs '"
              + model.id()
              + "' (vct.model.id); point the gateway's vct.gateway.model-id and the workers'"
              + " vct.model.id at the same checkpoint",
          false);
    }
  }

  synchronized void close(@Observes @Priority(6_000) ShutdownEvent event) {
    try {
      if (scorer != null) {
        scorer.close();
      }
    } finally {
      scorer = null;
      if (vct != null) {
        vct.close();
        vct = null;
      }
    }
  }

  private static void put(
      Map<String, String> settings, ScoringModels.Setting setting, Optional<Path> value) {
    value.ifPresent(path -> settings.put(setting.environmentVariable(), path.toString()));
  }
}
