package dev.vct.engine.vct;

import dev.vct.engine.tensor.SafeTensors;
import dev.vct.engine.tensor.SafeTensorsWriter;
import dev.vct.engine.tensor.TensorInfo;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The output of concept inversion: the K learned token embeddings of a placeholder (the official
 * code's {@code learned_embeds} dict, {placeholder: (K, hidden)}).
 */
public record ConceptEmbedding(String placeholder, int tokens, int hidden, float[] rows) {

  public ConceptEmbedding {
    if (rows.length != (long) tokens * hidden) {
      throw new IllegalArgumentException(
          "a concept embedding of "
              + tokens
              + " x "
              + hidden
              + " needs "
              + (long) tokens * hidden
              + " values, got "
              + rows.length);
    }
    rows = rows.clone();
  }

  @Override
  public float[] rows() {
    return rows.clone();
  }

  /** Writes {placeholder: (K, hidden)} as safetensors. */
  public void save(Path file) {
    new SafeTensorsWriter().put(placeholder, rows, tokens, hidden).write(file);
  }

  /** Reads a file written by {@link #save}: exactly one (K, hidden) tensor named by its key. */
  public static ConceptEmbedding load(Path file) {
    try (SafeTensors st = SafeTensors.open(file)) {
      if (st.names().size() != 1) {
        throw new IllegalArgumentException(
            file + " must hold one concept embedding, found " + st.names());
      }
      String name = st.names().iterator().next();
      TensorInfo info = st.info(name);
      if (info.shape().length != 2) {
        throw new IllegalArgumentException(
            file + ": '" + name + "' must be (K, hidden), got " + Arrays.toString(info.shape()));
      }
      return new ConceptEmbedding(
          name, (int) info.shape()[0], (int) info.shape()[1], st.floats(name));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConceptEmbedding e
        && placeholder.equals(e.placeholder)
        && tokens == e.tokens
        && hidden == e.hidden
        && Arrays.equals(rows, e.rows);
  }

  @Override
  public int hashCode() {
    return placeholder.hashCode() * 31 + Arrays.hashCode(rows);
  }

  @Override
  public String toString() {
    return "ConceptEmbedding[" + placeholder + ", " + tokens + " x " + hidden + "]";
  }
}
