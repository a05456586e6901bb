package dev.vct.engine.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import dev.vct.engine.tensor.StateDict;
import dev.vct.inputs.image.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * LPIPS distance, AlexNet variant, as {@code lpips.LPIPS(net='alex', version='0.1')} computes it
 * for inputs already in [-1, 1] (lower = more alike):
 *
 * <pre>
 *   x' = (x - shift) / scale                                  scaling layer
 *   f_k = relu_k(AlexNet(x')), k = 1..5                       trunk slices
 *   n_k = f_k / (sqrt(sum_c f_k^2) + 1e-10)                   unit length over channels
 *   d_k = mean_hw( lin_k((n0_k - n1_k)^2) )                   1x1 conv to one channel, no bias
 *   LPIPS = sum_k d_k
 * </pre>
 *
 * Weights use the reference state_dict keys ({@code scaling_layer.shift/scale}, {@code
 * net.slice<k>.<i>.weight/bias}, {@code lin<k>.model.1.weight}); the README says how to build such
 * a file from the published weights. The instance owns its weights: close it.
 */
public final class Lpips implements AutoCloseable {

  /** Both pictures need at least this many pixels per side (AlexNet's pooling). */
  public static final int MIN_SIDE = AlexNetFeatures.MIN_SIDE;

  private static final float EPS = 1e-10f;

  private final NDManager manager;
  private final NDArray shift; // (1, 3, 1, 1)
  private final NDArray scale; // (1, 3, 1, 1)
  private final AlexNetFeatures trunk;
  private final NDArray[] lin; // lin[k]: (1, channels_k, 1, 1)

  private Lpips(
      NDManager manager, NDArray shift, NDArray scale, AlexNetFeatures trunk, NDArray[] lin) {
    this.manager = manager;
    this.shift = shift;
    this.scale = scale;
    this.trunk = trunk;
    this.lin = lin;
  }

  /**
   * Loads an LPIPS state_dict from a safetensors file. The reference module also registers the
   * heads a second time as {@code lins.<k>.model.1.weight}; when present they must equal {@code
   * lin<k>}. Any other tensor in the file is an error (it is not an LPIPS AlexNet file).
   */
  public static Lpips load(Path weightsFile) {
    if (!Files.isRegularFile(weightsFile)) {
      throw new ModelFileException("LPIPS weights file " + weightsFile + " does not exist");
    }
    NDManager manager = NDManager.newBaseManager();
    try (StateDict sd = StateDict.open(weightsFile)) {
      NDArray shift = sd.take("scaling_layer.shift", manager, 1, 3, 1, 1);
      NDArray scale = sd.take("scaling_layer.scale", manager, 1, 3, 1, 1);
      AlexNetFeatures trunk = AlexNetFeatures.load(sd, manager);
      NDArray[] lin = new NDArray[AlexNetFeatures.CHANNELS.length];
      for (int k = 0; k < lin.length; k++) {
        long[] shape = {1, AlexNetFeatures.CHANNELS[k], 1, 1};
        lin[k] = sd.take("lin" + k + ".model.1.weight", manager, shape);
        String alias = "lins." + k + ".model.1.weight";
        if (sd.contains(alias)) {
          try (NDArray copy = sd.take(alias, manager, shape)) {
            if (!copy.contentEquals(lin[k])) {
              throw new ModelFileException(
                  weightsFile + ": " + alias + " differs from lin" + k + ".model.1.weight");
            }
          }
        }
      }
      sd.requireAllUsed();
      return new Lpips(manager, shift, scale, trunk, lin);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** LPIPS between two pictures of the same size, each converted to [-1, 1] RGB. */
  public LpipsDistance distance(RgbImage image0, RgbImage image1) {
    if (image0.width() != image1.width() || image0.height() != image1.height()) {
      throw new IllegalArgumentException(
          "LPIPS compares pictures pixel by pixel and needs equal sizes, got "
              + image0.size()
              + " and "
              + image1.size());
    }
    try (NDManager scope = manager.newSubManager()) {
      return distance(tensor(image0, scope), tensor(image1, scope));
    }
  }

  /**
   * LPIPS between two [1, 3, H, W] float32 RGB tensors in [-1, 1] of the same shape. Temporaries
   * are freed before returning; the inputs stay with their owner.
   */
  public LpipsDistance distance(NDArray image0, NDArray image1) {
    requirePair(image0.getShape(), image1.getShape());
    try (NDManager scope = manager.newSubManager()) {
      image0.tempAttach(scope);
      image1.tempAttach(scope);
      NDArray batch = NDArrays.concat(new NDList(image0, image1), 0);
      NDArray[] features = trunk.forward(batch.sub(shift).div(scale));
      float[] perLayer = new float[features.length];
      float total = 0;
      for (int k = 0; k < features.length; k++) {
        NDArray unit = unitOverChannels(features[k]);
        NDArray diff = unit.get("0:1").sub(unit.get("1:2")).square();
        NDArray weighted = Conv2d.conv2d(diff, lin[k]).singletonOrThrow();
        perLayer[k] = weighted.mean().getFloat();
        total += perLayer[k];
      }
      return new LpipsDistance(total, perLayer);
    }
  }

  private static NDArray unitOverChannels(NDArray x) {
    NDArray norm = x.square().sum(new int[] {1}, true).sqrt();
    return x.div(norm.add(EPS));
  }

  private static void requirePair(Shape a, Shape b) {
    if (a.dimension() != 4 || a.get(0) != 1 || a.get(1) != 3 || !a.equals(b)) {
      throw new IllegalArgumentException(
          "LPIPS takes two [1, 3, H, W] RGB tensors of the same shape, got " + a + " and " + b);
    }
    if (a.get(2) < MIN_SIDE || a.get(3) < MIN_SIDE) {
      throw new IllegalArgumentException(
          "LPIPS (AlexNet) needs pictures of at least "
              + MIN_SIDE
              + "x"
              + MIN_SIDE
              + " pixels, got "
              + a.get(3)
              + "x"
              + a.get(2));
    }
  }

  @Override
  public void close() {
    manager.close();
  }

  /**
   * The picture as a float32 tensor of shape [1, 3, height, width] (RGB planes) with values {@code
   * u8 / 127.5 - 1} in [-1, 1], the input convention of LPIPS.
   */
  private static NDArray tensor(RgbImage image, NDManager manager) {
    int plane = image.width() * image.height();
    byte[] rgb = image.rgb();
    float[] chw = new float[3 * plane];
    for (int p = 0; p < plane; p++) {
      for (int c = 0; c < 3; c++) {
        chw[c * plane + p] = (rgb[3 * p + c] & 0xFF) / 127.5f - 1f;
      }
    }
    return manager.create(chw, new Shape(1, 3, image.height(), image.width()));
  }
}
