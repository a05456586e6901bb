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
import java.util.List;
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
 */
public final class TorchScriptFunction implements AutoCloseable {
  private static final String CLASS = "VctFunction";
  private static final String LIST_NAME = ScriptWriter.WEIGHTS + "[]";

  private final PtSymbolBlock module;
  private final NDList weights;

  private TorchScriptFunction(PtSymbolBlock module, List<NDArray> weights) {
    this.module = module;
    this.weights = new NDList(weights);
  }

  /**
   * Compiles {@code writer}'s body as {@code forward(inputs..., w: List[Tensor]) -> Tensor} (no
   * {@code w} when the body reads no weights), returning {@code result}. The module belongs to
   * {@code manager}.
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
    byte[] archive = archive(code.toString());
    try {
      PtSymbolBlock module =
          JniUtils.loadModule(
              (PtNDManager) manager, new ByteArrayInputStream(archive), false, false);
      List<NDArray> weights = writer.weights();
      weights.forEach(w -> w.setName(LIST_NAME));
      return new TorchScriptFunction(module, weights);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs the function on {@code inputs} (in the order given to {@link #compile}). The result
   * belongs to the first input's manager; with grad mode on (a {@link
   * ai.djl.training.GradientCollector}), autograd records the call.
   */
  public NDArray call(NDArray... inputs) {
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
      NDList out = IValueUtils.forward(module, arguments, true);
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

  @Override
  public void close() {
    module.close();
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
