package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Map;

/** torch.nn.LayerNorm(H): normalise over the last axis only, eps 1e-5, affine. */
final class LayerNorm {
  static final float EPS = 1e-5f;

  private final NDArray weight; // (H)
  private final NDArray bias; // (H)
  private final Shape normalizedShape;

  LayerNorm(Map<String, NDArray> params, String name) {
    this.weight = Params.require(params, name + ".weight");
    this.bias = Params.require(params, name + ".bias");
    this.normalizedShape = weight.getShape();
  }

  /** (..., H) -> (..., H). */
  NDArray forward(NDArray x) {
    return ai.djl.nn.norm.LayerNorm.layerNorm(x, normalizedShape, weight, bias, EPS).singletonOrThrow();
  }
}
