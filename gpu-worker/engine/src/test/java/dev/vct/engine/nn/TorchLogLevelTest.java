package dev.vct.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * libtorch logs "Could not initialize NNPACK!" per convolution on CPUs NNPACK does not support; the
 * engine raises c10's log level so that it does not ({@link TorchLogLevel}).
 */
class TorchLogLevelTest {

  /** A process that runs three convolutions through {@link Conv2d}, then exits. */
  public static void main(String[] args) {
    try (NDManager m = NDManager.newBaseManager()) {
      Conv2d conv = new Conv2d(m.ones(new Shape(4, 4, 3, 3)), null, 1, 1);
      for (int i = 0; i < 3; i++) {
        conv.forward(m.ones(new Shape(1, 4, 16, 16))).toFloatArray();
      }
    }
    System.out.println("convolutions done");
  }

  private static String convolutionsInAChild(String torchLogLevel) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1",
                TorchLogLevelTest.class.getName())
            .redirectErrorStream(true);
    pb.environment().remove(TorchLogLevel.ENV);
    if (torchLogLevel != null) {
      pb.environment().put(TorchLogLevel.ENV, torchLogLevel);
    }
    Process p = pb.start();
    byte[] output;
    try (var in = p.getInputStream()) {
      output = in.readAllBytes();
    } catch (IOException e) {
      p.destroyForcibly();
      throw e;
    }
    assertTrue(p.waitFor(3, TimeUnit.MINUTES));
    String text = new String(output, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), text);
    assertTrue(text.contains("convolutions done"), text);
    return text;
  }

  @Test
  void aConvolutionSetsLibtorchsLogLevelToErrors() {
    assumeTrue(System.getenv(TorchLogLevel.ENV) == null, TorchLogLevel.ENV + " is set here");
    try (NDManager m = NDManager.newBaseManager()) {
      new Conv2d(m.ones(new Shape(2, 2, 1, 1)), null, 1, 0).forward(m.ones(new Shape(1, 2, 4, 4)));
    }
    assertEquals(List.of(TorchLogLevel.ERROR), TorchLogLevel.current().stream().toList());
  }

  @Test
  void convolutionsPrintNoNnpackWarningUnlessLibtorchsOwnLevelIsSet() throws Exception {
    String quiet = convolutionsInAChild(null);
    assertFalse(quiet.contains("NNPACK"), quiet);
    // With TORCH_CPP_LOG_LEVEL set the engine leaves libtorch alone: on CPUs without NNPACK
    // support the warning then shows per call, which proves the check above can see it.
    String own = convolutionsInAChild("WARNING");
    assumeTrue(own.contains("NNPACK"), "NNPACK initialises on this CPU: no warning to silence");
    assertTrue(own.split("Could not initialize NNPACK", -1).length - 1 >= 3, own);
  }
}
