package dev.vct.engine.nn;

import ai.djl.engine.Engine;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * libtorch's oneDNN (mkldnn) kernels, off by default in this engine.
 *
 * <p>On the AMD EPYC (Zen 5) build machines, oneDNN 3.x in libtorch 2.7.1 computes the backward
 * pass of a 3x3, stride-1 convolution wrongly: the input gradient is off by about 20 % with its
 * AVX2 kernels and all NaN with its AVX-512 ones, while the forward pass is right (measured against
 * central finite differences; {@code ConvolutionGradientTest}). libtorch takes oneDNN for a CPU
 * convolution whenever the batch is above one or the input holds more than 20480 values, so content
 * inversion at 512 px and every batched backward would optimise against wrong gradients. With
 * oneDNN off, libtorch's own im2col + BLAS convolution runs, which is right.
 *
 * <p>{@value #ENV}{@code =on} keeps oneDNN where its gradients were checked on the machine (run the
 * engine's gradient tests there first).
 */
public final class OneDnn {
  /** Environment variable: {@code on} keeps libtorch's oneDNN kernels; anything else, off. */
  public static final String ENV = "VCT_ENGINE_ONEDNN";

  private static final System.Logger LOG = System.getLogger(OneDnn.class.getName());
  private static final String GLOBAL_CONTEXT = "_ZN2at13globalContextEv";
  private static final String SET_ENABLED = "_ZN2at7Context20setUserEnabledMkldnnEb";
  private static final String IS_ENABLED = "_ZNK2at7Context17userEnabledMkldnnEv";

  private static Boolean enabled;

  private OneDnn() {}

  /**
   * Applies the setting once per process (libtorch's flag is global) and returns whether oneDNN is
   * on. Called before the first convolution.
   */
  public static synchronized boolean configure() {
    if (enabled == null) {
      boolean wanted = "on".equals(env().toLowerCase(Locale.ROOT).trim());
      enabled = apply(wanted);
    }
    return enabled;
  }

  private static String env() {
    String value = System.getenv(ENV);
    return value == null ? "" : value;
  }

  private static boolean apply(boolean wanted) {
    Engine.getEngine("PyTorch"); // loads libtorch
    Optional<Path> library = loadedLibrary("libtorch_cpu.so");
    if (library.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "libtorch_cpu.so not found among this process's mapped files; oneDNN stays as libtorch"
              + " set it (its convolution gradients are wrong on some AMD CPUs)");
      return true;
    }
    NativeLibrary torch = NativeLibrary.getInstance(library.get().toString());
    Pointer context = torch.getFunction(GLOBAL_CONTEXT).invokePointer(new Object[0]);
    torch.getFunction(SET_ENABLED).invokeVoid(new Object[] {context, wanted});
    Function isEnabled = torch.getFunction(IS_ENABLED);
    boolean now = (isEnabled.invokeInt(new Object[] {context}) & 0xFF) != 0;
    if (now != wanted) {
      throw new IllegalStateException(
          "could not turn libtorch's oneDNN " + (wanted ? "on" : "off") + " in " + library.get());
    }
    return now;
  }

  /** The path of a shared library this process has mapped, from /proc/self/maps (Linux). */
  static Optional<Path> loadedLibrary(String fileName) {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return Optional.empty();
    }
    try (var lines = Files.lines(maps)) {
      return lines
          .map(line -> line.indexOf('/') < 0 ? "" : line.substring(line.indexOf('/')))
          .filter(p -> p.endsWith("/" + fileName))
          .findFirst()
          .map(Path::of);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
