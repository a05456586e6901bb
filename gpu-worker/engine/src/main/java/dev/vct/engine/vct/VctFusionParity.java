package dev.vct.engine.vct;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vct.engine.parity.Comparison;
import dev.vct.engine.parity.Fixture;
import dev.vct.engine.parity.ParityCheck;
import dev.vct.engine.tokenizer.ClipTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Oracle fixture {@code vct_fusion}: {@link Fusion} from {@code in.x_T}, {@code
 * in.uncond_embeddings} and {@code in.learned_embeds}; the controller's tables (refinement mapper
 * and alphas, equalizer, cross-replace alphas), the trajectory of both branches, the decoded images
 * and their 8-bit form.
 */
public final class VctFusionParity implements ParityCheck {

  @Override
  public String component() {
    return "vct_fusion";
  }

  @Override
  public List<Comparison> run(Fixture fixture) {
    JsonNode p = fixture.params();
    int n = p.get("num_ddim_steps").asInt();
    FusionParams params =
        FusionParams.defaults()
            .withGuidance(p.get("guidance_scale").asDouble())
            .withRatios(
                p.get("cross_attention_injection_ratio").asDouble(),
                p.get("self_attention_injection_ratio").asDouble());
    params =
        new FusionParams(
            params.guidance(),
            params.crossRatio(),
            params.selfRatio(),
            params.selfMaxQueries(),
            p.get("equalizer_value").asDouble(),
            false);
    String placeholder = p.get("equalizer_words").get(0).asText();
    long[] xShape = VctFixtures.shape(fixture, "x_T");
    long[] embedShape = VctFixtures.shape(fixture, "uncond_embeddings");
    long[] learnedShape = VctFixtures.shape(fixture, "learned_embeds");
    float[] xT = VctFixtures.floats(fixture, "x_T");
    // Fusion reads the content embeddings and z*_N; the reconstruction is not an input of it.
    ContentEmbedding content =
        new ContentEmbedding(
            n,
            (int) embedShape[1],
            (int) embedShape[2],
            VctFixtures.floats(fixture, "uncond_embeddings"),
            xShape,
            xT,
            new float[xT.length]);
    ConceptEmbedding concept =
        new ConceptEmbedding(
            placeholder,
            (int) learnedShape[0],
            (int) learnedShape[1],
            VctFixtures.floats(fixture, "learned_embeds"));
    int seq = ClipTokenizer.CONTEXT_LENGTH;
    try (VctModels models = VctFixtures.models(fixture)) {
      List<Comparison> out = new ArrayList<>();
      ClipTokenizer tokenizer =
          ConceptInversion.placeholderTokenizer(models, placeholder, concept.tokens());
      long[] conceptIds = tokenizer.encode(placeholder).ids();
      long[] ids = new long[2 * seq];
      System.arraycopy(tokenizer.encode("").ids(), 0, ids, 0, seq);
      System.arraycopy(conceptIds, 0, ids, seq, seq);
      out.add(VctFixtures.compareInputLongs(fixture, "prompt_ids", ids));

      PromptAligner.Refinement refinement = Fusion.refinement(tokenizer, placeholder);
      out.add(VctFixtures.compareLongs(fixture, "refine_mapper", refinement.mapper(), 1, seq));
      out.add(VctFixtures.compare(fixture, "refine_alphas", refinement.alphas(), 1, seq));
      float[] eq = Fusion.equalizer(conceptIds, tokenizer.placeholderIds(placeholder), params, seq);
      out.add(VctFixtures.compare(fixture, "equalizer", eq, 1, seq));
      out.add(
          VctFixtures.compare(
              fixture,
              "cross_replace_alpha",
              VctFixtures.concat(Fusion.crossReplaceAlpha(params, n, seq)),
              n + 1,
              seq));

      Fusion fusion = Fusion.start(models, params, content, concept);
      List<float[]> trajectory = new ArrayList<>();
      trajectory.add(VctFixtures.concat(fusion.latents()));
      for (int i = 1; i <= n; i++) {
        fusion.runUntil(i, ProgressListener.NONE, Cancellation.NEVER);
        trajectory.add(VctFixtures.concat(fusion.latents()));
      }
      FusionResult result = fusion.result();
      long[] pair = {2, xShape[1], xShape[2], xShape[3]};
      out.add(
          VctFixtures.compare(
              fixture,
              "latent_trajectory",
              VctFixtures.concat(trajectory.toArray(float[][]::new)),
              n + 1,
              2,
              xShape[1],
              xShape[2],
              xShape[3]));
      float[] latents =
          VctFixtures.concat(new float[][] {result.reconstruction(), result.translation()});
      out.add(VctFixtures.compare(fixture, "latents", latents, pair));
      float[] decoded = VctImages.decode(models, latents, pair);
      int f = models.vaeFactor();
      int h = (int) xShape[2] * f;
      int w = (int) xShape[3] * f;
      out.add(VctFixtures.compare(fixture, "decoded", decoded, 2, 3, h, w));
      long[] u8 = new long[2 * h * w * 3];
      for (int b = 0; b < 2; b++) {
        byte[] rgb = VctImages.toRgb(decoded, b, h, w).rgb();
        for (int i = 0; i < rgb.length; i++) {
          u8[b * rgb.length + i] = rgb[i] & 0xFF;
        }
      }
      out.add(VctFixtures.compareLongs(fixture, "images_u8", u8, 2, h, w, 3));
      return out;
    }
  }
}
