package dev.vct.engine.nn;

import ai.djl.engine.Engine;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Path;
import java.util.Optional;

/**
 * libtorch's C++ log level, raised to errors only.
 *
 * <p>On CPUs NNPACK does not support (the AMD EPYC build machines), libtorch 2.7.1 logs "Could not
 * initialize NNPACK! Reason: Unsupported hardware." on every convolution call: thousands of lines
 * per stage and about 9 % of content inversion's time spent writing them. The engine sets c10's
 * {@code FLAGS_caffe2_log_level} (an int in libc10.so) to ERROR before the first convolution,
 * unless {@value #ENV} is set, in which case libtorch's own reading of it stays.
 */
public final class TorchLogLevel {
  /** libtorch's own setting (INFO, WARNING, ERROR, FATAL); when set, the engine leaves it alone. */
  public static final String ENV = "TORCH_CPP_LOG_LEVEL";

  /** c10's severity numbers: INFO 0, WARNING 1, ERROR 2, FATAL 3. */
  public static final int ERROR = 2;

  private static final System.Logger LOG = System.getLogger(TorchLogLevel.class.getName());
  private static final String FLAG = "FLAGS_caffe2_log_level";

  private static boolean configured;

  private TorchLogLevel() {}

  /** Sets the level once per process (the flag is global). Called before the first convolution. */
  public static synchronized void configure() {
    if (configured) {
      return;
    }
    configured = true;
    String env = System.getenv(ENV);
    if (env != null && !env.isBlank()) {
      return;
    }
    flag().ifPresent(flag -> flag.setInt(0, ERROR));
  }

  /** The level in force: messages below it are dropped; empty when libc10 is not found. */
  public static Optional<Integer> current() {
    return flag().map(flag -> flag.getInt(0));
  }

  private static Optional<Pointer> flag() {
    Engine.getEngine("PyTorch"); // loads libtorch
    Optional<Path> library = OneDnn.loadedLibrary("libc10.so");
    if (library.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "libc10.so not found among this process's mapped files; libtorch logs at its own level");
      return Optional.empty();
    }
    return Optional.of(
        NativeLibrary.getInstance(library.get().toString()).getGlobalVariableAddress(FLAG));
  }
}
