package dev.vct.engine.vct;

/**
 * The random inputs of one concept-inversion micro-step. The stage draws them from its own seeded
 * {@link StageRandom}; parity runs inject the draws recorded from the reference code instead.
 */
@FunctionalInterface
public interface ConceptDraws {

  /**
   * @param flip whether the reference is mirrored horizontally
   * @param posteriorEps standard normal noise of the VAE posterior sample (latent shape)
   * @param noise the diffusion noise ε (latent shape)
   * @param timestep t in 0..num_train_timesteps-1
   */
  record MicroStep(boolean flip, float[] posteriorEps, float[] noise, int timestep) {}

  /** The draws of micro-step {@code microStep} (0-based) for latents of {@code latentSize}. */
  MicroStep draw(int microStep, int latentSize);

  /** Draws from {@code random} in the order flip, posterior noise, noise, timestep. */
  static ConceptDraws seeded(StageRandom random, double flipProbability, int trainTimesteps) {
    return (microStep, latentSize) -> {
      boolean flip = random.nextBoolean(flipProbability);
      float[] posteriorEps = random.normals(latentSize);
      float[] noise = random.normals(latentSize);
      int timestep = random.nextInt(trainTimesteps);
      return new MicroStep(flip, posteriorEps, noise, timestep);
    };
  }
}
