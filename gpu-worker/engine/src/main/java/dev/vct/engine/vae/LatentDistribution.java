package dev.vct.engine.vae;

import ai.djl.ndarray.NDArray;

/**
 * The encoder's diagonal Gaussian over latents ({@code DiagonalGaussianDistribution}): {@code
 * logvar} is already clamped to [-30, 20] and {@code std = exp(0.5 logvar)}. Unscaled: the pipeline
 * multiplies by {@code scaling_factor} (0.18215) itself.
 *
 * @param mean (N, latent, h, w)
 * @param logvar (N, latent, h, w), clamped
 * @param std (N, latent, h, w)
 */
public record LatentDistribution(NDArray mean, NDArray logvar, NDArray std) {

  /** {@code mean + std * noise} for standard-normal {@code noise} of the same shape. */
  public NDArray sample(NDArray noise) {
    if (!noise.getShape().equals(mean.getShape())) {
      throw new IllegalArgumentException(
          "noise must have the latent shape " + mean.getShape() + ", got " + noise.getShape());
    }
    return mean.add(std.mul(noise));
  }
}
