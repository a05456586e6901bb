package dev.vct.engine.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the engine computes: {@code cpu} (the default) or {@code cuda[:N]} when libtorch was built
 * with CUDA. Asking for CUDA where it is absent is an error, never a silent fallback.
 */
public final class ComputeDevice {

  /** Configuration name of the device setting ({@code vct.engine.device}). */
  public static final String PROPERTY = "vct.engine.device";

  private static final Pattern CUDA = Pattern.compile("(?:cuda|gpu)(?::(\\d+))?");

  private ComputeDevice() {}

  /**
   * The device named by system property {@value #PROPERTY}, else env VCT_ENGINE_DEVICE, else cpu.
   */
  public static Device fromConfiguration() {
    String value = System.getProperty(PROPERTY);
    if (value == null || value.isBlank()) {
      value = System.getenv("VCT_ENGINE_DEVICE");
    }
    return parse(value == null || value.isBlank() ? "cpu" : value);
  }

  /** Parses {@code cpu}, {@code cuda}, {@code cuda:N} (or {@code gpu[:N]}) and checks it exists. */
  public static Device parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    if (n.equals("cpu")) {
      return Device.cpu();
    }
    Matcher m = CUDA.matcher(n);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "unknown compute device '" + name + "' (use cpu, cuda or cuda:N)");
    }
    int index = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
    Engine engine = Engine.getEngine("PyTorch");
    if (!engine.hasCapability(StandardCapabilities.CUDA)) {
      throw new IllegalStateException(
          "compute device '"
              + name
              + "' asked for, but this libtorch ("
              + engine.getVersion()
              + ") has no CUDA: point PYTORCH_LIBRARY_PATH at a CUDA build of libtorch"
              + " (PYTORCH_FLAVOR=cu128) or use cpu");
    }
    int gpus = engine.getGpuCount();
    if (index >= gpus) {
      throw new IllegalStateException(
          "compute device '" + name + "' asked for, but only " + gpus + " CUDA device(s) exist");
    }
    return Device.gpu(index);
  }
}
