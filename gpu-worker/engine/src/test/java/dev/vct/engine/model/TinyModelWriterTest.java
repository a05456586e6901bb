package dev.vct.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vct.engine.model.TinyModelWriter.WeightDtype;
import dev.vct.engine.tensor.DType;
import dev.vct.engine.tensor.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyModelWriterTest {

  @TempDir Path dir;

  @Test
  void sameSeedGivesTheSameBytesAndAnotherSeedOtherWeights() throws IOException {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    Path c = dir.resolve("c");
    new TinyModelWriter(7, WeightDtype.FP32).write(a);
    new TinyModelWriter(7, WeightDtype.FP32).write(b);
    new TinyModelWriter(8, WeightDtype.FP32).write(c);
    List<Path> files = files(a);
    assertEquals(
        List.of(
            "model_index.json",
            "scheduler/scheduler_config.json",
            "text_encoder/config.json",
            "text_encoder/model.safetensors",
            "tokenizer/merges.txt",
            "tokenizer/special_tokens_map.json",
            "tokenizer/tokenizer_config.json",
            "tokenizer/vocab.json",
            "unet/config.json",
            "unet/diffusion_pytorch_model.safetensors",
            "vae/config.json",
            "vae/diffusion_pytorch_model.safetensors"),
        files.stream().map(p -> a.relativize(p).toString()).toList());
    for (Path f : files) {
      Path rel = a.relativize(f);
      assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(b.resolve(rel)), rel.toString());
    }
    try (SafeTensors sa = SafeTensors.open(a.resolve("unet/diffusion_pytorch_model.safetensors"));
        SafeTensors sc = SafeTensors.open(c.resolve("unet/diffusion_pytorch_model.safetensors"))) {
      assertEquals(sa.names(), sc.names());
      assertFalse(
          java.util.Arrays.equals(sa.floats("conv_in.weight"), sc.floats("conv_in.weight")));
    }
  }

  @Test
  void layoutMatchesTheKeysAndShapesDiffusersWroteForTheOracleModel() {
    Path oracle = oracleModel();
    assertLayout(
        oracle.resolve("unet/diffusion_pytorch_model.safetensors"),
        CheckpointLayout.unet(4, 4, List.of(16, 16, 32, 32), 2, 32));
    // the oracle's VAE was saved by diffusers 0.10.1, with the original SD attention names
    assertLayout(
        oracle.resolve("vae/diffusion_pytorch_model.safetensors"),
        CheckpointLayout.vae(3, 3, 4, List.of(16, 16, 32, 32), 2, true));
    assertLayout(
        oracle.resolve("text_encoder/model.safetensors"),
        CheckpointLayout.clipText(1000, 32, 37, 3, 77));
  }

  @Test
  void weightsAreStoredInTheRequestedTypeAndWidenExactly() throws IOException {
    Path fp32 = dir.resolve("fp32");
    Path fp16 = dir.resolve("fp16");
    Path bf16 = dir.resolve("bf16");
    new TinyModelWriter(3, WeightDtype.FP32).write(fp32);
    new TinyModelWriter(3, WeightDtype.FP16).write(fp16);
    new TinyModelWriter(3, WeightDtype.BF16).write(bf16);
    assertTrue(Files.exists(fp16.resolve("unet/diffusion_pytorch_model.fp16.safetensors")));
    assertFalse(Files.exists(fp16.resolve("unet/diffusion_pytorch_model.safetensors")));
    assertTrue(Files.exists(fp16.resolve("text_encoder/model.fp16.safetensors")));
    try (SafeTensors full =
            SafeTensors.open(fp32.resolve("vae/diffusion_pytorch_model.safetensors"));
        SafeTensors half =
            SafeTensors.open(fp16.resolve("vae/diffusion_pytorch_model.fp16.safetensors"));
        SafeTensors brain =
            SafeTensors.open(bf16.resolve("vae/diffusion_pytorch_model.safetensors"))) {
      String key = "decoder.conv_in.weight";
      assertEquals(DType.F16, half.info(key).dtype());
      assertEquals(DType.BF16, brain.info(key).dtype());
      float[] f = full.floats(key);
      float[] h = half.floats(key);
      float[] b = brain.floats(key);
      for (int i = 0; i < f.length; i++) {
        assertEquals(f[i], h[i], Math.abs(f[i]) * 0x1p-11 + 1e-7, "fp16 " + i);
        assertEquals(f[i], b[i], Math.abs(f[i]) * 0x1p-8, "bf16 " + i);
      }
    }
  }

  @Test
  void tokenizerHasByteSymbolsMergesAndSpecialTokensLast() throws IOException {
    TinyBpeVocabulary v = TinyBpeVocabulary.learn(1000);
    assertEquals(1000, v.size());
    assertEquals(486, v.merges().size());
    assertEquals("!", v.vocabulary().get(0));
    assertEquals("!</w>", v.vocabulary().get(256));
    assertEquals(TinyBpeVocabulary.START, v.vocabulary().get(998));
    assertEquals(TinyBpeVocabulary.END, v.vocabulary().get(999));
    assertEquals(1000, new HashSet<>(v.vocabulary()).size(), "no duplicate tokens");
    // every merge joins two tokens that exist before it
    Set<String> seen = new HashSet<>(v.vocabulary().subList(0, 512));
    for (String[] m : v.merges()) {
      assertTrue(seen.contains(m[0]) && seen.contains(m[1]), m[0] + " " + m[1]);
      seen.add(m[0] + m[1]);
    }
    assertTrue(seen.contains("photo</w>"), "frequent words become single tokens");

    new TinyModelWriter(0, WeightDtype.FP32).write(dir);
    List<String> merges = Files.readAllLines(dir.resolve("tokenizer/merges.txt"));
    assertEquals("#version: 0.2", merges.get(0));
    assertEquals(487, merges.size());
    var vocab =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(dir.resolve("tokenizer/vocab.json").toFile());
    assertEquals(999, vocab.get("<|endoftext|>").asInt());
    assertEquals(256, vocab.get("!</w>").asInt());
    var text =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(dir.resolve("text_encoder/config.json").toFile());
    assertEquals(1000, text.get("vocab_size").asInt());
    assertEquals(998, text.get("bos_token_id").asInt());

    // the real CLIP tokenizer reads the files: frequent words are single tokens
    var tokenizer = dev.vct.engine.tokenizer.ClipTokenizer.load(dir.resolve("tokenizer"));
    assertEquals(998, tokenizer.bosId());
    assertEquals(999, tokenizer.eosId());
    int[] ids = tokenizer.tokenIds("A photo of a cat!");
    assertEquals(
        List.of("a</w>", "photo</w>", "of</w>", "a</w>", "cat</w>", "!</w>"),
        java.util.Arrays.stream(ids).mapToObj(v.vocabulary()::get).toList());
    // a rare word is split into pieces that spell it
    List<String> pieces =
        java.util.Arrays.stream(tokenizer.tokenIds("Monet")).mapToObj(v.vocabulary()::get).toList();
    assertTrue(pieces.size() > 1, pieces.toString());
    assertEquals("monet</w>", String.join("", pieces));
    // and any text still tokenizes, down to byte symbols
    assertTrue(tokenizer.tokenIds("zxqv \u00e9t\u00e9 \ud83d\ude00").length > 4);
  }

  private static void assertLayout(Path file, CheckpointLayout layout) {
    Map<String, String> expected = new TreeMap<>();
    Map<String, String> actual = new TreeMap<>();
    try (SafeTensors st = SafeTensors.open(file)) {
      for (String name : st.names()) {
        expected.put(name, java.util.Arrays.toString(st.info(name).shape()));
      }
    }
    layout.shapes().forEach((k, s) -> actual.put(k, java.util.Arrays.toString(s)));
    assertEquals(expected, actual, file.toString());
  }

  private static Path oracleModel() {
    String root = System.getProperty("vct.fixtures.dir", "");
    Path model = Path.of(root.isEmpty() ? "vct.fixtures.dir-not-set" : root, "vct_model");
    Assumptions.assumeTrue(
        Files.isDirectory(model), "oracle fixtures not found at " + model.toAbsolutePath());
    return model;
  }

  private static List<Path> files(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    }
  }
}
