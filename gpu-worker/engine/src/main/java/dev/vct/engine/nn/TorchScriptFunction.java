package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A straight-line tensor function written with a {@link ScriptWriter} and compiled by libtorch's
 * TorchScript interpreter, so that a whole model call is one native call instead of one per
 * operator: the per-operator Java and JNI work disappears and fused operators that DJL does not
 * expose (group norm, SiLU) become available. Autograd records every operator as it does for the
 * same operators called one by one, so gradients reach the inputs that require them.
 *
 * <p>The archive is built in memory in TorchScript's serialization format (a module class whose
 * {@code forward} is the function; no tensors inside: weights are passed as a list argument).
 * libtorch's graph optimiser stays off for it ({@link JniUtils#setGraphExecutorOptimize}): the
 * operators run as written, with the same kernels and the same results as eager calls.
 *
 * <p>Because a compiled module holds no tensors, functions of the same code share one module, for
 * the whole process: a model loaded again, or a second model of the same topology, binds its own
 * weights to the module compiled for the first one and neither parses nor plans the code again
 * (compiling the tiny UNet's 800 lines took about as long as a whole S1 concept inversion). A
 * module stays cached while a function uses it; of the unused ones the {@value #MAX_IDLE} most
 * recently used are kept.
 */
public final class TorchScriptFunction implements AutoCloseable {
  private static final String CLASS = "VctFunction";
  private static final String LIST_NAME = ScriptWriter.WEIGHTS + "[]";

  /** Modules kept compiled while no function uses them (the least recently used go first). */
  static final int MAX_IDLE = 16;

  /** Compiled modules by their code, least recently used first; guarded by itself. */
  private static final Map<String, Compiled> MODULES = new LinkedHashMap<>(16, 0.75f, true);

  private static final AtomicLong IDS = new AtomicLong();

  private final Compiled compiled;
  private final NDList weights;
  private final AtomicBoolean closed = new AtomicBoolean();

  private TorchScriptFunction(Compiled compiled, List<NDArray> weights) {
    this.compiled = compiled;
    this.weights = new NDList(weights);
  }

  /**
   * Compiles {@code writer}'s body as {@code forward(inputs..., w: List[Tensor]) -> Tensor} (no
   * {@code w} when the body reads no weights), returning {@code result}, or takes the module
   * already compiled for the same code. The function is closed with {@code manager} at the latest.
   */
  public static TorchScriptFunction compile(
      NDManager manager, ScriptWriter writer, List<String> inputs, String result) {
    StringBuilder code = new StringBuilder();
    code.append("class ").append(CLASS).append("(Module):\n");
    code.append("  __parameters__ = []\n  __buffers__ = []\n  training : bool\n");
    code.append("  def forward(self: __torch__.").append(CLASS).append(",\n");
    List<String> parameters = new ArrayList<>();
    inputs.forEach(input -> parameters.add(input + ": Tensor"));
    if (!writer.weights().isEmpty()) {
      parameters.add(ScriptWriter.WEIGHTS + ": List[Tensor]");
    }
    code.append("    ").append(String.join(",\n    ", parameters)).append(") -> Tensor:\n");
    code.append(writer.body(result));
    List<NDArray> weights = writer.weights();
    weights.forEach(w -> w.setName(LIST_NAME));
    TorchScriptFunction function = new TorchScriptFunction(acquire(code.toString()), weights);
    manager.attachInternal("TorchScriptFunction-" + IDS.incrementAndGet(), function);
    return function;
  }

  /** The module compiled for {@code code}, compiled now when no function has it. */
  private static Compiled acquire(String code) {
    synchronized (MODULES) {
      Compiled compiled = MODULES.get(code);
      if (compiled != null) {
        compiled.users++;
        return compiled;
      }
    }
    PtSymbolBlock module = load(code); // outside the lock: other codes need not wait
    synchronized (MODULES) {
      Compiled compiled = MODULES.get(code);
      if (compiled != null) { // another thread compiled the same code meanwhile
        module.close();
      } else {
        compiled = new Compiled(module);
        MODULES.put(code, compiled);
      }
      compiled.users++;
      trim();
      return compiled;
    }
  }

  private static PtSymbolBlock load(String code) {
    try {
      return JniUtils.loadModule(
          (PtNDManager) Holder.MANAGER, new ByteArrayInputStream(archive(code)), false, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Closes the least recently used idle modules beyond {@link #MAX_IDLE}; holds MODULES. */
  private static void trim() {
    long idle = MODULES.values().stream().filter(c -> c.users == 0).count();
    for (Iterator<Compiled> it = MODULES.values().iterator(); idle > MAX_IDLE && it.hasNext(); ) {
      Compiled c = it.next();
      if (c.users == 0) {
        it.remove();
        c.module.close();
        idle--;
      }
    }
  }

  /** Compiled modules in the process-wide cache that no open function uses. */
  static int idleModules() {
    synchronized (MODULES) {
      return (int) MODULES.values().stream().filter(c -> c.users == 0).count();
    }
  }

  /** Compiled modules in the process-wide cache, used or not. */
  static int cachedModules() {
    synchronized (MODULES) {
      return MODULES.size();
    }
  }

  /**
   * Runs the function on {@code inputs} (in the order given to {@link #compile}). The result
   * belongs to the first input's manager; with grad mode on (a {@link
   * ai.djl.training.GradientCollector}), autograd records the call.
   */
  public NDArray call(NDArray... inputs) {
    if (closed.get()) {
      throw new IllegalStateException("the function is closed");
    }
    String[] names = new String[inputs.length];
    NDList arguments = new NDList(inputs.length + weights.size());
    for (int i = 0; i < inputs.length; i++) {
      names[i] = inputs[i].getName();
      inputs[i].setName(null); // a name would turn the tensor into a list, a tuple or a map entry
      arguments.add(inputs[i]);
    }
    arguments.addAll(weights);
    try {
      JniUtils.setGraphExecutorOptimize(false); // per thread: run the operators as written
      NDList out = IValueUtils.forward(compiled.module, arguments, true);
      return out.singletonOrThrow();
    } finally {
      for (int i = 0; i < inputs.length; i++) {
        inputs[i].setName(names[i]);
      }
    }
  }

  /** The tensors the function reads as {@code w}. */
  public int weightCount() {
    return weights.size();
  }

  /** Releases the module (it stays cached for the next function of the same code); idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      synchronized (MODULES) {
        compiled.users--;
        trim();
      }
    }
  }

  /** A compiled module and the number of open functions that use it (guarded by MODULES). */
  private static final class Compiled {
    final PtSymbolBlock module;
    int users;

    Compiled(PtSymbolBlock module) {
      this.module = module;
    }
  }

  /** The modules' manager, made on first use (after libtorch is loaded) and never closed. */
  private static final class Holder {
    static final NDManager MANAGER = NDManager.newBaseManager();
  }

  /** The module as a TorchScript archive: data, code, constants and format version. */
  private static byte[] archive(String code) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      String root = "vct/";
      // pickle protocol 2: __torch__.VctFunction() with state {"training": True}
      ByteArrayOutputStream data = new ByteArrayOutputStream();
      data.write(new byte[] {(byte) 0x80, 2, 'c'});
      data.write(("__torch__\n" + CLASS + "\n").getBytes(StandardCharsets.US_ASCII));
      data.write(new byte[] {')', (byte) 0x81, '}', '(', 'X', 8, 0, 0, 0});
      data.write("training".getBytes(StandardCharsets.US_ASCII));
      data.write(new byte[] {(byte) 0x88, 'u', 'b', '.'});
      stored(zip, root + "data.pkl", data.toByteArray());
      stored(zip, root + "code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
      stored(zip, root + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
      // a current format version: operators are read with today's schemas, no upgraders
      stored(zip, root + "version", "10\n".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void stored(ZipOutputStream zip, String name, byte[] content) throws IOException {
    ZipEntry entry = new ZipEntry(name);
    entry.setMethod(ZipEntry.STORED);
    entry.setSize(content.length);
    entry.setCompressedSize(content.length);
    CRC32 crc = new CRC32();
    crc.update(content);
    entry.setCrc(crc.getValue());
    zip.putNextEntry(entry);
    zip.write(content);
    zip.closeEntry();
  }
}
