package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/** d2l's NextSentencePred: Linear(H, 2) on the pooled {@code <cls>} vector. */
final class NextSentencePred {
  private final Linear output;

  NextSentencePred(Map<String, NDArray> params, String name) {
    this.output = new Linear(params, name + ".output");
  }

  /** (B, H) -> (B, 2). */
  NDArray forward(NDArray pooled) {
    return output.forward(pooled);
  }
}
