package dev.vct.engine.vct;

import java.util.Arrays;

/**
 * The final latents of fusion's two branches, each (1, C, h, w): the content branch B*
 * (reconstruction of the source) and the main branch B (the translation).
 */
public record FusionResult(long[] latentShape, float[] reconstruction, float[] translation) {

  public FusionResult {
    latentShape = latentShape.clone();
    reconstruction = reconstruction.clone();
    translation = translation.clone();
  }

  @Override
  public long[] latentShape() {
    return latentShape.clone();
  }

  @Override
  public float[] reconstruction() {
    return reconstruction.clone();
  }

  @Override
  public float[] translation() {
    return translation.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FusionResult r
        && Arrays.equals(latentShape, r.latentShape)
        && Arrays.equals(reconstruction, r.reconstruction)
        && Arrays.equals(translation, r.translation);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(translation);
  }

  @Override
  public String toString() {
    return "FusionResult" + Arrays.toString(latentShape);
  }
}
