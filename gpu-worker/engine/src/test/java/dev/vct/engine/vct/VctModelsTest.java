package dev.vct.engine.vct;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import dev.vct.engine.tensor.StateDict;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VctModelsTest {

  @TempDir Path dir;

  private static long storedValues(Path file) {
    try (StateDict weights = StateDict.open(file)) {
      return weights.keys().stream().mapToLong(k -> weights.info(k).elementCount()).sum();
    }
  }

  @Test
  void everyWeightIsLoadedOnceTextEncoderAndTokenizerIncluded() {
    try (VctModels models = TinyVct.load(dir)) {
      long stored =
          storedValues(dir.resolve("unet/diffusion_pytorch_model.safetensors"))
              + storedValues(dir.resolve("vae/diffusion_pytorch_model.safetensors"))
              + storedValues(dir.resolve("text_encoder/model.safetensors"));
      long textEncoder = storedValues(dir.resolve("text_encoder/model.safetensors"));
      long resident =
          ((BaseNDManager) models.manager())
              .getManagedArrays().stream().mapToLong(NDArray::size).sum();
      // the weights plus the blocks' constants (the text encoder's 77 x 77 causal mask, 0-d
      // scale factors); a second text encoder would add all its weights again
      assertTrue(resident >= stored, resident + " resident < " + stored + " stored");
      assertTrue(
          resident - stored < textEncoder / 4,
          (resident - stored)
              + " values beyond the stored weights (text encoder: "
              + textEncoder
              + ")");
    }
  }
}
