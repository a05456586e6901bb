package dev.vct.engine.vct;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import java.util.ArrayList;
import java.util.List;

/**
 * Oracle fixture {@code vct_concept_inversion}: {@link ConceptInversion} replaying the reference
 * run's random draws (flips recovered from {@code in.pixel_values}, posterior noise, noise,
 * timesteps). Compares the losses, the placeholder rows before every micro-step and at the end, and
 * the per-micro-step tensors; the initial rows and prompt ids are checked against the inputs.
 */
public final class VctConceptInversionParity implements ParityCheck {

  @Override
  public String component() {
    return "vct_concept_inversion";
  }

  @Override
  public List<Comparison> run(Fixture fixture) {
    JsonNode p = fixture.params();
    ConceptInversionParams params =
        new ConceptInversionParams(
            p.get("max_train_steps").asInt(),
            p.get("gradient_accumulation_steps").asInt(),
            p.get("concept_embedding_num").asInt(),
            p.get("initializer_token").asText(),
            p.get("placeholder_token").asText(),
            p.get("learning_rate").asDouble(),
            p.get("scale_lr").asBoolean(),
            p.get("adam_beta1").asDouble(),
            p.get("adam_beta2").asDouble(),
            p.get("adam_epsilon").asDouble(),
            p.get("adam_weight_decay").asDouble(),
            p.get("use_l1").asBoolean(),
            p.get("l1_weight").asDouble(),
            p.get("flip_p").asDouble(),
            p.get("resolution").asInt(),
            p.get("seed").asLong());
    int r = params.resolution();
    Recorded recorded = recorded(fixture, r);
    float[] reference = recorded.reference();
    int micro = params.microSteps();
    try (VctModels models = VctFixtures.models(fixture)) {
      ConceptInversion stage = ConceptInversion.start(models, params, reference, recorded.draws());
      float[] losses = new float[micro];
      float[][] history = new float[micro + 1][];
      List<float[]> posterior = new ArrayList<>();
      List<float[]> noisy = new ArrayList<>();
      List<float[]> pred = new ArrayList<>();
      stage.observe(
          (m, loss, rowsBefore, posteriorSample, noisyLatents, modelPred) -> {
            losses[m] = loss;
            history[m] = rowsBefore;
            posterior.add(posteriorSample);
            noisy.add(noisyLatents);
            pred.add(modelPred);
          });
      List<Comparison> out = new ArrayList<>();
      out.add(VctFixtures.compareInput(fixture, "initial_placeholder_embeds", stage.rows()));
      out.add(VctFixtures.compareInputLongs(fixture, "input_ids", stage.promptIds()));
      stage.run(ProgressListener.NONE, Cancellation.NEVER);
      ConceptEmbedding learned = stage.result();
      history[micro] = learned.rows();
      long[] latent = VctFixtures.shape(fixture, "noise");
      long k = params.tokens();
      long hidden = models.textHidden();
      out.add(VctFixtures.compare(fixture, "loss_history", losses, micro));
      out.add(
          VctFixtures.compare(
              fixture, "embeds_history", VctFixtures.concat(history), micro + 1, k, hidden));
      out.add(VctFixtures.compare(fixture, "learned_embeds", learned.rows(), k, hidden));
      out.add(
          VctFixtures.compare(
              fixture,
              "posterior_sample",
              VctFixtures.concat(posterior.toArray(float[][]::new)),
              latent));
      out.add(
          VctFixtures.compare(
              fixture, "noisy_latents", VctFixtures.concat(noisy.toArray(float[][]::new)), latent));
      out.add(
          VctFixtures.compare(
              fixture, "model_pred", VctFixtures.concat(pred.toArray(float[][]::new)), latent));
      return out;
    }
  }

  private record Recorded(float[] reference, ConceptDraws draws) {}

  /**
   * The reference run's draws. Its flips are recorded as the pixels fed to the VAE: micro-step m
   * was flipped when {@code pixel_values[m]} is the mirrored concept image. Those pixels (numpy's
   * float64 u8 / 127.5 − 1 rounded to float32) also give the exact unflipped reference.
   */
  private static Recorded recorded(Fixture fixture, int r) {
    float[] concept = VctFixtures.floats(fixture, "concept_image");
    float[] mirrored = ConceptInversion.mirror(concept, r);
    float[][] pixels = VctFixtures.rows(fixture, "pixel_values");
    float[][] posteriorEps = VctFixtures.rows(fixture, "posterior_eps");
    float[][] noise = VctFixtures.rows(fixture, "noise");
    long[] timesteps = fixture.io().longs("in.timesteps");
    boolean[] flips = new boolean[pixels.length];
    float[] reference = null;
    for (int m = 0; m < pixels.length; m++) {
      if (maxDifference(pixels[m], mirrored) < PIXEL_ROUNDING) {
        flips[m] = true;
      } else if (maxDifference(pixels[m], concept) >= PIXEL_ROUNDING) {
        throw new IllegalStateException(
            fixture.name()
                + ": pixel_values["
                + m
                + "] is neither the concept image nor its mirror image");
      }
      if (reference == null) {
        reference = flips[m] ? ConceptInversion.mirror(pixels[m], r) : pixels[m];
      }
    }
    ConceptDraws draws =
        (m, latentSize) ->
            new ConceptDraws.MicroStep(flips[m], posteriorEps[m], noise[m], (int) timesteps[m]);
    return new Recorded(reference, draws);
  }

  /** float32 and float64 arithmetic of u8 / 127.5 − 1 differ by at most a few ulps. */
  private static final double PIXEL_ROUNDING = 1e-6;

  private static double maxDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }
}
