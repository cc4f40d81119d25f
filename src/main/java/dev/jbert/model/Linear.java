package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/** torch.nn.Linear: y = x W^T + b with W stored (out, in). Parameters {@code <name>.weight}, {@code <name>.bias}. */
final class Linear {
  private final NDArray weight; // (out, in)
  private final NDArray bias; // (out)

  Linear(Map<String, NDArray> params, String name) {
    this.weight = Params.require(params, name + ".weight");
    this.bias = Params.require(params, name + ".bias");
  }

  /** (..., in) -> (..., out); the result lives in x's manager. */
  NDArray forward(NDArray x) {
    return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
  }
}
