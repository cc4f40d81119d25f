package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.Map;

/** d2l's PositionWiseFFN: Linear(H, F) -> ReLU -> Linear(F, H). */
final class PositionWiseFfn {
  private final Linear dense1;
  private final Linear dense2;

  PositionWiseFfn(Map<String, NDArray> params, String name) {
    this.dense1 = new Linear(params, name + ".dense1");
    this.dense2 = new Linear(params, name + ".dense2");
  }

  /** (B, T, H) -> (B, T, F) -> (B, T, H). */
  NDArray forward(NDArray x) {
    return dense2.forward(Activation.relu(dense1.forward(x)));
  }
}
