package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

final class Params {
  private Params() {}

  static NDArray require(Map<String, NDArray> params, String name) {
    NDArray array = params.get(name);
    if (array == null) {
      throw new IllegalStateException("no parameter " + name);
    }
    return array;
  }
}
