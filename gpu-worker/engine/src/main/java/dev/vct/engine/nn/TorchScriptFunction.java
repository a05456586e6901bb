package dev.vct.engine.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
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

  /** Modules kept compiled while no function uses them (the least recently used go first). */
  static final int MAX_IDLE = 16;

  /** Compiled modules by their code, least recently used first; guarded by itself. */
  private static final Map<String, Compiled> MODULES = new LinkedHashMap<>(16, 0.75f, true);

  private static final AtomicLong IDS = new AtomicLong();

  private final Compiled compiled;
  private final NDList weights;

  /**
   * The weights as the one {@code List[Tensor]} argument, made once: it holds its own references to
   * the weight tensors (no copies, no graph) and is passed by handle to every call; null without
   * weights.
   */
  private final IValue weightList;

  private final AtomicBoolean closed = new AtomicBoolean();

  private TorchScriptFunction(Compiled compiled, List<NDArray> weights) {
    this.compiled = compiled;
    this.weights = new NDList(weights);
    this.weightList =
        weights.isEmpty()
            ? null
            : IValue.listFrom(
                weights.stream().map(PtNDArray.class::cast).toArray(PtNDArray[]::new));
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
    ModuleRunner.check(); // fail at model load, not at the first call, if DJL changed
    TorchScriptFunction function =
        new TorchScriptFunction(acquire(code.toString()), writer.weights());
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
    // only the inputs get new IValues per call (each a reference to the tensor, no copy)
    long[] arguments = new long[inputs.length + (weightList == null ? 0 : 1)];
    IValue[] made = new IValue[inputs.length];
    try {
      for (int i = 0; i < inputs.length; i++) {
        made[i] = IValue.from((PtNDArray) inputs[i]);
        arguments[i] = made[i].getHandle();
      }
      if (weightList != null) {
        arguments[inputs.length] = weightList.getHandle();
      }
      JniUtils.setGraphExecutorOptimize(false); // per thread: run the operators as written
      try (IValue out = ModuleRunner.run(compiled.module, "forward", arguments)) {
        return out.toTensor((PtNDManager) inputs[0].getManager());
      }
    } finally {
      for (IValue input : made) {
        if (input != null) {
          input.close();
        }
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
      if (weightList != null) {
        weightList.close(); // the weights themselves belong to their manager
      }
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
