package dev.vct.engine.nn;

import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Runs a TorchScript method on argument handles with autograd on, through DJL's package-private
 * {@code PyTorchLibrary.moduleRunMethod(module, method, handles, isTrain, separateCudaStream)}.
 *
 * <p>Why not DJL's public API: {@code IValueUtils.forward(block, NDList, true)} records autograd
 * but rebuilds every argument from tensor names with regular expressions on each call (for the
 * UNet, about 700 weights: 40 % of the main thread's Java samples in content inversion), and {@code
 * IValueUtils.runMethod(block, method, IValue...)}, which takes prepared arguments, always runs
 * with {@code isTrain = false}: no gradients. The native method itself does both; it is looked up
 * once here.
 *
 * <p>Checked against DJL 0.35.1 (pom.xml pins it): the native method's signature {@code (long,
 * String, long[], boolean, boolean) long}, the static {@code PyTorchLibrary.LIB}, the {@code
 * IValue(long)} constructor and the system property {@code ai.djl.pytorch.enable_cuda_stream} that
 * the public path reads for the last argument. If a DJL upgrade changes any of them, {@link
 * #check()} fails when a model is compiled (not on its first call), with this class named; the
 * gradient tests of TorchScriptFunctionTest also run through here.
 */
final class ModuleRunner {
  private static final String LIBRARY = "ai.djl.pytorch.jni.PyTorchLibrary";

  /** {@code LIB.moduleRunMethod} bound to the library: (long, String, long[], boolean, boolean). */
  private static final MethodHandle RUN;

  /** {@code new IValue(long)}: takes ownership of a native IValue handle. */
  private static final MethodHandle IVALUE;

  private static final boolean CUDA_STREAM =
      Boolean.getBoolean("ai.djl.pytorch.enable_cuda_stream");

  /** Why the lookup failed, or null. */
  private static final RuntimeException FAILURE;

  static {
    MethodHandle run = null;
    MethodHandle ivalue = null;
    RuntimeException failure = null;
    try {
      Class<?> library = Class.forName(LIBRARY, true, IValue.class.getClassLoader());
      MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(library, MethodHandles.lookup());
      Object lib = lookup.findStaticGetter(library, "LIB", library).invoke();
      run =
          lookup
              .findVirtual(
                  library,
                  "moduleRunMethod",
                  MethodType.methodType(
                      long.class,
                      long.class,
                      String.class,
                      long[].class,
                      boolean.class,
                      boolean.class))
              .bindTo(lib);
      ivalue =
          MethodHandles.privateLookupIn(IValue.class, MethodHandles.lookup())
              .findConstructor(IValue.class, MethodType.methodType(void.class, long.class));
    } catch (Throwable e) { // a missing or changed member, or a linkage error
      failure =
          new IllegalStateException(
              "this DJL PyTorch engine is not the one "
                  + ModuleRunner.class.getName()
                  + " was written for (0.35.1): it needs the package-private"
                  + " PyTorchLibrary.moduleRunMethod(long, String, long[], boolean, boolean),"
                  + " PyTorchLibrary.LIB and IValue(long) to run TorchScript with autograd;"
                  + " check them against the new DJL version",
              e);
    }
    RUN = run;
    IVALUE = ivalue;
    FAILURE = failure;
  }

  private ModuleRunner() {}

  /** Throws when DJL's internals are not the ones this class was checked against. */
  static void check() {
    if (FAILURE != null) {
      throw FAILURE;
    }
  }

  /**
   * Runs {@code method} of {@code module} on the IValues {@code arguments} (handles; the caller
   * keeps and closes them) with autograd recording (when grad mode is on); the caller closes the
   * returned IValue.
   */
  static IValue run(PtSymbolBlock module, String method, long[] arguments) {
    check();
    try {
      long result =
          (long)
              RUN.invokeExact(module.getHandle().longValue(), method, arguments, true, CUDA_STREAM);
      return (IValue) IVALUE.invokeExact(result);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }
}
