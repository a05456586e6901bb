package dev.vct.engine.vct;

import dev.vct.engine.tensor.SafeTensors;
import dev.vct.engine.tensor.SafeTensorsWriter;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The output of content inversion, cached per source image: the content embedding of every DDIM
 * step (N, 77, hidden), the inverted noise z*_N and the latent the optimised path reconstructs.
 *
 * @param embeddings (steps, seq, hidden) content embeddings v_0 .. v_{N-1}
 * @param noiseLatent (1, C, h, w) z*_N, where fusion starts
 * @param reconstruction (1, C, h, w) where the content path ends (≈ the source latent)
 * @param latentShape (1, C, h, w)
 */
public record ContentEmbedding(
    int steps,
    int seq,
    int hidden,
    float[] embeddings,
    long[] latentShape,
    float[] noiseLatent,
    float[] reconstruction) {

  public ContentEmbedding {
    if (embeddings.length != (long) steps * seq * hidden) {
      throw new IllegalArgumentException(
          "content embeddings of " + steps + " x " + seq + " x " + hidden + " expected");
    }
    long n = Tensors.size(latentShape);
    if (noiseLatent.length != n || reconstruction.length != n) {
      throw new IllegalArgumentException(
          "latents must match the shape " + Arrays.toString(latentShape));
    }
    embeddings = embeddings.clone();
    latentShape = latentShape.clone();
    noiseLatent = noiseLatent.clone();
    reconstruction = reconstruction.clone();
  }

  /** v_i, (seq, hidden). */
  public float[] embedding(int i) {
    return Arrays.copyOfRange(embeddings, i * seq * hidden, (i + 1) * seq * hidden);
  }

  @Override
  public float[] embeddings() {
    return embeddings.clone();
  }

  @Override
  public long[] latentShape() {
    return latentShape.clone();
  }

  @Override
  public float[] noiseLatent() {
    return noiseLatent.clone();
  }

  @Override
  public float[] reconstruction() {
    return reconstruction.clone();
  }

  public void save(Path file) {
    new SafeTensorsWriter()
        .put("content_embeddings", embeddings, steps, seq, hidden)
        .put("noise_latent", noiseLatent, latentShape)
        .put("reconstruction", reconstruction, latentShape)
        .write(file);
  }

  public static ContentEmbedding load(Path file) {
    try (SafeTensors st = SafeTensors.open(file)) {
      long[] e = st.info("content_embeddings").shape();
      if (e.length != 3) {
        throw new IllegalArgumentException(file + ": content_embeddings must be (N, seq, hidden)");
      }
      return new ContentEmbedding(
          (int) e[0],
          (int) e[1],
          (int) e[2],
          st.floats("content_embeddings"),
          st.info("noise_latent").shape(),
          st.floats("noise_latent"),
          st.floats("reconstruction"));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ContentEmbedding c
        && steps == c.steps
        && Arrays.equals(embeddings, c.embeddings)
        && Arrays.equals(latentShape, c.latentShape)
        && Arrays.equals(noiseLatent, c.noiseLatent)
        && Arrays.equals(reconstruction, c.reconstruction);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(embeddings) * 31 + Arrays.hashCode(noiseLatent);
  }

  @Override
  public String toString() {
    return "ContentEmbedding[" + steps + " x " + seq + " x " + hidden + "]";
  }
}
