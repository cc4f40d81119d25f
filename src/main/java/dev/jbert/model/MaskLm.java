package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import java.util.Map;

/** d2l's MaskLM: gather the encoder outputs at the prediction positions, then Linear -> ReLU -> LayerNorm -> Linear. */
final class MaskLm {
  private final Linear mlp0; // (H, H)
  private final LayerNorm mlp2; // (H)
  private final Linear mlp3; // (V, H)

  MaskLm(Map<String, NDArray> params, String name) {
    this.mlp0 = new Linear(params, name + ".mlp.0");
    this.mlp2 = new LayerNorm(params, name + ".mlp.2");
    this.mlp3 = new Linear(params, name + ".mlp.3");
  }

  /** encoded (B, T, H), positions int64 (B, P) -> logits (B, P, V). */
  NDArray forward(NDArray encoded, NDArray positions, boolean training) {
    return head(gather(encoded, positions), training);
  }

  /** rows (..., H) -> (..., V). */
  NDArray head(NDArray rows, boolean training) {
    return mlp3.forward(mlp2.forward(Activation.relu(mlp0.forward(rows))));
  }

  /** encoded (B, T, H), positions int64 (B, P) -> (B, P, H): row {@code positions[b, p]} of batch b. */
  static NDArray gather(NDArray encoded, NDArray positions) {
    if (positions.getDataType() != DataType.INT64) {
      throw new IllegalArgumentException("prediction positions must be int64, got " + positions.getDataType());
    }
    long b = encoded.getShape().get(0);
    long h = encoded.getShape().get(2);
    long p = positions.getShape().get(1);
    NDArray index = positions.reshape(b, p, 1).broadcast(b, p, h); // (B, P, H)
    return encoded.gather(index, 1); // (B, P, H)
  }
}
