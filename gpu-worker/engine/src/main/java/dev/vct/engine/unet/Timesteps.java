package dev.vct.engine.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * diffusers' sinusoidal {@code Timesteps} projection: for half = dim / 2 and i < half, {@code
 * freq_i = exp(-ln(10000) * i / (half - freq_shift))}, {@code emb = [sin(t freq), cos(t freq)]},
 * swapped to [cos, sin] when {@code flip_sin_to_cos}. The frequencies are computed once with the
 * same float32 native ops as the reference so the embedding matches it bit for bit.
 */
final class Timesteps {
  private final NDArray frequencies; // (1, half)
  private final boolean flipSinToCos;

  Timesteps(NDManager manager, int dim, boolean flipSinToCos, int freqShift) {
    int half = dim / 2;
    NDArray exponent =
        manager
            .arange(0f, half, 1f, DataType.FLOAT32)
            .mul(manager.full(new Shape(), (float) -Math.log(10000)))
            .div(manager.full(new Shape(), (float) (half - freqShift)));
    this.frequencies = exponent.exp().reshape(1, half);
    this.flipSinToCos = flipSinToCos;
  }

  /** {@code timesteps}: (batch) float32; returns (batch, dim). */
  NDArray forward(NDArray timesteps) {
    NDArray arguments = timesteps.reshape(-1, 1).mul(frequencies);
    NDArray sin = arguments.sin();
    NDArray cos = arguments.cos();
    return NDArrays.concat(flipSinToCos ? new NDList(cos, sin) : new NDList(sin, cos), 1);
  }
}
