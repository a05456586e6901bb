package dev.vct.engine.nn;

import java.nio.file.Files;
import java.nio.file.Path;

/** The files of a diffusers component folder ({@code unet/}, {@code vae/}). */
public final class ComponentFiles {
  public static final String CONFIG = "config.json";
  public static final String WEIGHTS = "diffusion_pytorch_model.safetensors";
  public static final String WEIGHTS_FP16 = "diffusion_pytorch_model.fp16.safetensors";

  private ComponentFiles() {}

  /** {@code config.json} of the folder; fails naming the folder when absent. */
  public static Path config(Path componentDir) {
    Path config = componentDir.resolve(CONFIG);
    if (!Files.isRegularFile(config)) {
      throw new IllegalArgumentException(
          "no " + CONFIG + " in " + componentDir + " (expected a diffusers component folder)");
    }
    return config;
  }

  /**
   * The weights of the folder: the float32 file, else the fp16 variant (widened to float32 when
   * loaded). PyTorch {@code .bin} pickles are not read: convert them to safetensors.
   */
  public static Path weights(Path componentDir) {
    for (String name : new String[] {WEIGHTS, WEIGHTS_FP16}) {
      Path file = componentDir.resolve(name);
      if (Files.isRegularFile(file)) {
        return file;
      }
    }
    throw new IllegalArgumentException(
        "no "
            + WEIGHTS
            + " or "
            + WEIGHTS_FP16
            + " in "
            + componentDir
            + " (.bin checkpoints must be converted to safetensors first)");
  }
}
