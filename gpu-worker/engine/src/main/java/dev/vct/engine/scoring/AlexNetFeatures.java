package dev.vct.engine.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import dev.vct.engine.nn.TorchLogLevel;
import dev.vct.engine.tensor.StateDict;

/**
 * The convolutional trunk of torchvision's AlexNet up to relu5, cut into the five slices LPIPS
 * reads (its {@code alexnet} class): slice1 = features[0:2], slice2 = [2:5], slice3 = [5:8], slice4
 * = [8:10], slice5 = [10:12]. Weights keep LPIPS' keys, {@code net.slice<k>.<i>.*} where i is the
 * index inside torchvision's {@code features}.
 */
final class AlexNetFeatures {

  /** Output channels of relu1 .. relu5. */
  static final long[] CHANNELS = {64, 192, 384, 256, 256};

  /**
   * The smallest side the trunk accepts: conv1 (k11 s4 p2) and two 3x3/2 max-pools must each leave
   * at least one position.
   */
  static final int MIN_SIDE = 31;

  static {
    TorchLogLevel.configure(); // no NNPACK warning per convolution
  }

  private final Conv conv1; // (64, 3, 11, 11), stride 4, padding 2
  private final Conv conv2; // (192, 64, 5, 5), padding 2
  private final Conv conv3; // (384, 192, 3, 3), padding 1
  private final Conv conv4; // (256, 384, 3, 3), padding 1
  private final Conv conv5; // (256, 256, 3, 3), padding 1

  private AlexNetFeatures(Conv conv1, Conv conv2, Conv conv3, Conv conv4, Conv conv5) {
    this.conv1 = conv1;
    this.conv2 = conv2;
    this.conv3 = conv3;
    this.conv4 = conv4;
    this.conv5 = conv5;
  }

  /** Loads {@code net.slice*} from {@code sd} into {@code manager}. */
  static AlexNetFeatures load(StateDict sd, NDManager manager) {
    return new AlexNetFeatures(
        Conv.load(sd, manager, "net.slice1.0", 64, 3, 11, 4, 2),
        Conv.load(sd, manager, "net.slice2.3", 192, 64, 5, 1, 2),
        Conv.load(sd, manager, "net.slice3.6", 384, 192, 3, 1, 1),
        Conv.load(sd, manager, "net.slice4.8", 256, 384, 3, 1, 1),
        Conv.load(sd, manager, "net.slice5.10", 256, 256, 3, 1, 1));
  }

  /** relu1 .. relu5 of a [N, 3, H, W] batch; the arrays belong to the input's manager. */
  NDArray[] forward(NDArray x) {
    NDArray relu1 = Activation.relu(conv1.forward(x));
    NDArray relu2 = Activation.relu(conv2.forward(maxPool(relu1)));
    NDArray relu3 = Activation.relu(conv3.forward(maxPool(relu2)));
    NDArray relu4 = Activation.relu(conv4.forward(relu3));
    NDArray relu5 = Activation.relu(conv5.forward(relu4));
    return new NDArray[] {relu1, relu2, relu3, relu4, relu5};
  }

  private static NDArray maxPool(NDArray x) {
    // torchvision: MaxPool2d(kernel_size=3, stride=2), no padding, floor mode
    return Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(0, 0), false);
  }

  /** A Conv2d with bias, square kernel, no dilation or groups. */
  private record Conv(NDArray weight, NDArray bias, Shape stride, Shape padding) {

    static Conv load(
        StateDict sd,
        NDManager manager,
        String prefix,
        long out,
        long in,
        long kernel,
        int stride,
        int padding) {
      return new Conv(
          sd.take(prefix + ".weight", manager, out, in, kernel, kernel),
          sd.take(prefix + ".bias", manager, out),
          new Shape(stride, stride),
          new Shape(padding, padding));
    }

    NDArray forward(NDArray x) {
      NDList out = Conv2d.conv2d(x, weight, bias, stride, padding, new Shape(1, 1), 1);
      return out.singletonOrThrow();
    }
  }
}
